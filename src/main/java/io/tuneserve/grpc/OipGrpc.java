package io.tuneserve.grpc;

import io.tuneserve.grpc.proto.inference.GRPCInferenceServiceGrpcService;
import io.tuneserve.grpc.proto.inference.ModelInferRequest;
import io.tuneserve.grpc.proto.inference.ModelInferResponse;
import io.tuneserve.grpc.proto.inference.ModelMetadataRequest;
import io.tuneserve.grpc.proto.inference.ModelMetadataResponse;
import io.tuneserve.grpc.proto.inference.ModelReadyRequest;
import io.tuneserve.grpc.proto.inference.ModelReadyResponse;
import io.tuneserve.grpc.proto.inference.ModelStreamInferResponse;
import io.tuneserve.grpc.proto.inference.ServerLiveResponse;
import io.tuneserve.grpc.proto.inference.ServerMetadataResponse;
import io.tuneserve.grpc.proto.inference.ServerReadyResponse;
import io.tuneserve.inference.InferenceService;
import io.tuneserve.model.RequestScope;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ModelStatus;
import io.tuneserve.serving.ServedVersion;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.Service;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The Open Inference Protocol's {@code GRPCInferenceService}: liveness, readiness, metadata, {@code
 * ModelInfer} and Triton's streaming {@code ModelStreamInfer}, through the one inference path, its
 * queues and its errors.
 */
final class OipGrpc {
  private final Vertx vertx;
  private final GrpcCalls calls;
  private final InferenceService inference;
  private final ModelManager manager;
  private final BooleanSupplier ready;
  private final String serverVersion;
  private final int maxInFlight;
  private final RepositoryGrpc repository;
  private final java.util.function.UnaryOperator<Runnable> streams;

  OipGrpc(
      Vertx vertx,
      GrpcCalls calls,
      InferenceService inference,
      ModelManager manager,
      BooleanSupplier ready,
      String serverVersion,
      int maxInFlight,
      java.util.function.UnaryOperator<Runnable> streams) {
    this.vertx = vertx;
    this.calls = calls;
    this.inference = inference;
    this.manager = manager;
    this.ready = ready;
    this.serverVersion = serverVersion;
    this.maxInFlight = maxInFlight;
    this.repository = new RepositoryGrpc(vertx, manager);
    this.streams = streams;
  }

  Service service() {
    return Service.service(
            GRPCInferenceServiceGrpcService.SERVICE_NAME,
            GRPCInferenceServiceGrpcService.SERVICE_DESCRIPTOR)
        .bind(
            GrpcCalls.lenient(GRPCInferenceServiceGrpcService.ServerLive),
            request ->
                calls.open(
                    request,
                    (message, scope) ->
                        Future.succeededFuture(
                            ServerLiveResponse.newBuilder().setLive(true).build())))
        .bind(
            GrpcCalls.lenient(GRPCInferenceServiceGrpcService.ServerReady),
            request ->
                calls.open(
                    request,
                    (message, scope) ->
                        Future.succeededFuture(
                            ServerReadyResponse.newBuilder()
                                .setReady(ready.getAsBoolean())
                                .build())))
        .bind(
            GrpcCalls.lenient(GRPCInferenceServiceGrpcService.ServerMetadata),
            request ->
                calls.open(
                    request,
                    (message, scope) ->
                        Future.succeededFuture(
                            ServerMetadataResponse.newBuilder()
                                .setName("tuneserve")
                                .setVersion(serverVersion)
                                .build())))
        .bind(
            GrpcCalls.lenient(GRPCInferenceServiceGrpcService.ModelReady),
            request -> calls.guarded(request, (message, scope) -> modelReady(message)))
        .bind(
            GrpcCalls.lenient(GRPCInferenceServiceGrpcService.ModelMetadata),
            request -> calls.guarded(request, (message, scope) -> metadata(message)))
        .bind(
            GrpcCalls.lenient(
                GRPCInferenceServiceGrpcService.ModelInfer, ModelInferRequest.parser()),
            request -> calls.guarded(request, this::infer))
        .bind(
            GrpcCalls.lenient(
                GRPCInferenceServiceGrpcService.ModelStreamInfer, ModelInferRequest.parser()),
            this::stream)
        .bind(
            GrpcCalls.lenient(GRPCInferenceServiceGrpcService.RepositoryIndex),
            request -> calls.managed(request, (message, scope) -> repository.index(message)))
        .bind(
            GrpcCalls.lenient(GRPCInferenceServiceGrpcService.RepositoryModelLoad),
            request -> calls.managed(request, (message, scope) -> repository.load(message)))
        .bind(
            GrpcCalls.lenient(GRPCInferenceServiceGrpcService.RepositoryModelUnload),
            request -> calls.managed(request, (message, scope) -> repository.unload(message)))
        .build();
  }

  /**
   * Triton's {@code ModelStreamInfer}: each request on the stream is answered on it as it completes
   * (in any order; the response carries the request's id), a failed one by an {@code
   * error_message}, and the stream stays open. At most {@code maxInFlight} requests of a stream are
   * in the server at once: past that the stream is not read until answers have gone out. The call
   * ends once the client has half-closed and every answer is out.
   */
  private void stream(
      GrpcServerRequest<GrpcCalls.Decoded<ModelInferRequest>, ModelStreamInferResponse> request) {
    if (!calls.admit(request)) {
      return;
    }
    GrpcServerResponse<GrpcCalls.Decoded<ModelInferRequest>, ModelStreamInferResponse> response =
        request.response();
    RequestScope scope = RequestScope.unbounded();
    request.exceptionHandler(e -> scope.clientGone());
    request.errorHandler(e -> scope.clientGone());
    request.invalidMessageHandler(
        invalid ->
            response.write(
                ModelStreamInferResponse.newBuilder()
                    .setErrorMessage(GrpcCalls.describe(GrpcCalls.tooLarge(invalid)))
                    .build()));
    int[] inFlight = {0};
    boolean[] halfClosed = {false};
    boolean[] ended = {false};
    boolean[] draining = {false};
    io.vertx.core.Context context = vertx.getOrCreateContext();
    Runnable[] unregister = {() -> {}};
    Runnable endIfDone =
        () -> {
          if (halfClosed[0] && inFlight[0] == 0 && !ended[0]) {
            ended[0] = true;
            unregister[0].run();
            if (draining[0]) {
              response
                  .status(io.vertx.grpc.common.GrpcStatus.UNAVAILABLE)
                  .statusMessage("the server is shutting down; send the rest to another node")
                  .end();
            } else {
              response.end();
            }
          }
        };
    // On shutdown the stream stops being read, answers what it has in flight, then ends.
    unregister[0] =
        streams.apply(
            () ->
                context.runOnContext(
                    v -> {
                      draining[0] = true;
                      halfClosed[0] = true;
                      request.pause();
                      endIfDone.run();
                    }));
    request.handler(
        decoded -> {
          if (halfClosed[0]) {
            return;
          }
          if (decoded.error() != null) {
            response.write(
                ModelStreamInferResponse.newBuilder()
                    .setErrorMessage(GrpcCalls.describe(decoded.error()))
                    .build());
            return;
          }
          ModelInferRequest message = decoded.message();
          if (++inFlight[0] >= maxInFlight) {
            request.pause();
          }
          Future<ModelInferResponse> answer;
          try {
            answer = infer(message, scope);
          } catch (RuntimeException e) {
            answer = Future.failedFuture(e);
          }
          answer.onComplete(
              (reply, error) -> {
                ModelStreamInferResponse.Builder out = ModelStreamInferResponse.newBuilder();
                if (error == null) {
                  out.setInferResponse(reply);
                } else {
                  out.setErrorMessage(GrpcCalls.describe(error))
                      .setInferResponse(
                          ModelInferResponse.newBuilder()
                              .setModelName(message.getModelName())
                              .setModelVersion(message.getModelVersion())
                              .setId(message.getId()));
                }
                if (scope.stopped(System.nanoTime()) == null && !ended[0]) {
                  response.write(out.build());
                }
                if (inFlight[0]-- == maxInFlight && !halfClosed[0]) {
                  request.resume();
                }
                endIfDone.run();
              });
        });
    request.endHandler(
        end -> {
          halfClosed[0] = true;
          endIfDone.run();
        });
  }

  private Future<ModelReadyResponse> modelReady(ModelReadyRequest message) {
    boolean isReady;
    try {
      manager
          .acquire(
              GrpcNames.model(message.getName(), GrpcNames.NO_MODEL),
              GrpcNames.version(message.getVersion()))
          .release();
      isReady = true;
    } catch (ServingException e) {
      isReady = false;
    }
    return Future.succeededFuture(ModelReadyResponse.newBuilder().setReady(isReady).build());
  }

  private Future<ModelMetadataResponse> metadata(ModelMetadataRequest message) {
    String model = GrpcNames.model(message.getName(), GrpcNames.NO_MODEL);
    ServedVersion served = manager.acquire(model, GrpcNames.version(message.getVersion()));
    try {
      List<String> versions =
          manager.status(model).map(ModelStatus::availableVersions).orElse(List.of()).stream()
              .map(String::valueOf)
              .toList();
      SignatureSpec signature = served.signature(SignatureSpec.DEFAULT_KEY);
      ModelMetadataResponse.Builder response =
          ModelMetadataResponse.newBuilder()
              .setName(model)
              .addAllVersions(versions)
              .setPlatform("tensorflow_savedmodel");
      signature.inputs().values().forEach(spec -> response.addInputs(tensorMetadata(spec)));
      signature.outputs().values().forEach(spec -> response.addOutputs(tensorMetadata(spec)));
      return Future.succeededFuture(response.build());
    } finally {
      served.release();
    }
  }

  private static ModelMetadataResponse.TensorMetadata tensorMetadata(TensorSpec spec) {
    ModelMetadataResponse.TensorMetadata.Builder tensor =
        ModelMetadataResponse.TensorMetadata.newBuilder()
            .setName(spec.name())
            .setDatatype(spec.dtype().oipName());
    for (long dim : spec.unknownRank() ? new long[] {-1} : spec.shape()) {
      tensor.addShape(dim);
    }
    return tensor.build();
  }

  /**
   * One inference, within the call's scope and the request's own {@code timeout} parameter if it
   * names one.
   */
  private Future<ModelInferResponse> infer(ModelInferRequest message, RequestScope call) {
    String model = GrpcNames.model(message.getModelName(), GrpcNames.NO_MODEL);
    long timeoutMillis = OipInferCodec.timeoutMillis(message);
    RequestScope scope =
        timeoutMillis > 0 ? call.withTimeout(timeoutMillis, System.nanoTime()) : call;
    Future<ModelInferResponse> answer =
        Future.fromCompletionStage(
                inference.infer(
                    model,
                    GrpcNames.version(message.getModelVersion()),
                    view -> OipInferCodec.decode(view, message),
                    scope),
                vertx.getOrCreateContext())
            .map(result -> OipInferCodec.encode(result, message));
    return timeoutMillis > 0 ? calls.byTimeout(answer, scope, timeoutMillis) : answer;
  }
}
