package io.tuneserve.grpc;

import io.tuneserve.inference.InferenceService;
import io.tuneserve.metrics.RequestRecorder;
import io.tuneserve.serving.ModelManager;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.health.HealthService;
import io.vertx.grpc.reflection.ReflectionService;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpc.server.Service;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * The gRPC services, served on the HTTP port to requests of content type {@code application/grpc*}
 * (HTTP/2, cleartext by prior knowledge or over TLS): TF Serving's {@code PredictionService} and
 * {@code ModelService}, the Open Inference Protocol's {@code GRPCInferenceService}, {@code
 * grpc.health.v1.Health} (each service SERVING while the node is ready) and server reflection.
 */
public final class GrpcApi {
  private GrpcApi() {}

  /**
   * The handler of a node's gRPC requests.
   *
   * @param ready whether the node takes traffic (joined, caught up, not draining)
   * @param refusal why a model call with the given {@code authorization} metadata (or null) may not
   *     run, as the HTTP API's tokens decide; null when it may
   * @param maxMessageBytes the largest request message taken
   * @param maxInFlightPerStream requests of one stream in the server at once
   * @param streams registers what ends a stream when the server shuts down, returning what
   *     unregisters it
   * @param requests where unary model and repository calls are counted
   */
  public static Handler<HttpServerRequest> server(
      Vertx vertx,
      InferenceService inference,
      ModelManager manager,
      BooleanSupplier ready,
      UnaryOperator<String> inferenceRefusal,
      UnaryOperator<String> managementRefusal,
      String serverVersion,
      long maxMessageBytes,
      int maxInFlightPerStream,
      UnaryOperator<Runnable> streams,
      RequestRecorder requests) {
    GrpcServer server =
        GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(maxMessageBytes));
    GrpcCalls calls = new GrpcCalls(vertx, inferenceRefusal, managementRefusal, requests);
    TfServingGrpc tfServing = new TfServingGrpc(vertx, calls, inference, manager, maxMessageBytes);
    List<Service> services =
        List.of(
            tfServing.predictionService(),
            tfServing.modelService(),
            new OipGrpc(
                    vertx,
                    calls,
                    inference,
                    manager,
                    ready,
                    serverVersion,
                    maxInFlightPerStream,
                    streams)
                .service());
    HealthService health = HealthService.create(vertx);
    health.register("", () -> Future.succeededFuture(ready.getAsBoolean()));
    for (Service service : services) {
      server.addService(service);
      health.register(service.name(), () -> Future.succeededFuture(ready.getAsBoolean()));
    }
    server.addService(health);
    server.addService(ReflectionService.v1());
    return server;
  }

  /** Whether a request is a gRPC call (any of gRPC's content types, gRPC-Web's included). */
  public static boolean isGrpc(HttpServerRequest request) {
    String type = request.getHeader("content-type");
    return type != null && type.startsWith("application/grpc");
  }
}
