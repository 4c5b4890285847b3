package io.tuneserve.http;

import com.fasterxml.jackson.core.JsonGenerator;
import io.tuneserve.inference.InferenceService;
import io.tuneserve.model.RequestScope;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ModelStatus;
import io.tuneserve.serving.ServedVersion;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * The Open Inference Protocol (KServe v2) REST API, with the binary tensor data extension: a JSON
 * header of {@code Inference-Header-Content-Length} bytes followed by raw little-endian tensors.
 */
final class OipApi {
  static final String API = "oip";
  static final String HEADER_LENGTH = "Inference-Header-Content-Length";
  private static final String BASE = "/v2/models" + PathParams.MODEL_AND_VERSION;

  private final InferenceService inference;
  private final ModelManager manager;
  private final String serverVersion;

  OipApi(InferenceService inference, ModelManager manager, String serverVersion) {
    this.inference = inference;
    this.manager = manager;
    this.serverVersion = serverVersion;
  }

  /** The WebSocket route; mounted before anything reads request bodies. */
  void mountWebSocket(Router router, int maxInFlight, long maxMessageBytes, OpenStreams streams) {
    router
        .getWithRegex(BASE + "/infer/ws")
        .handler(
            ctx -> {
              String model = PathParams.model(ctx);
              OptionalLong named = PathParams.version(ctx, manager);
              String label = ctx.pathParam("label");
              // A label is looked up for every request, so moving it moves open sockets too.
              Supplier<OptionalLong> version =
                  label == null || label.isEmpty()
                      ? () -> named
                      : () -> OptionalLong.of(manager.labelled(model, label));
              Context context = ctx.vertx().getOrCreateContext();
              ctx.request()
                  .toWebSocket()
                  .onSuccess(
                      socket ->
                          new InferenceSocket(
                                  socket,
                                  context,
                                  model,
                                  version,
                                  inference,
                                  maxInFlight,
                                  maxMessageBytes,
                                  streams)
                              .start())
                  .onFailure(ctx::fail);
            });
  }

  void mount(Router router) {
    router.get("/v2").handler(this::serverMetadata);
    router.getWithRegex(BASE).handler(this::modelMetadata);
    router.getWithRegex(BASE + "/ready").handler(this::modelReady);
    router.postWithRegex(BASE + "/infer").handler(this::infer);
  }

  private void serverMetadata(RoutingContext ctx) {
    Replies.json(
        ctx,
        200,
        json -> {
          json.writeStartObject();
          json.writeStringField("name", "tuneserve");
          json.writeStringField("version", serverVersion);
          json.writeArrayFieldStart("extensions");
          json.writeString("binary_tensor_data");
          json.writeString("model_repository");
          json.writeEndArray();
          json.writeEndObject();
        });
  }

  private void modelMetadata(RoutingContext ctx) {
    NamedVersion.read(manager, ctx, served -> modelMetadata(ctx, served));
  }

  private void modelMetadata(RoutingContext ctx, ServedVersion served) {
    String model = served.name();
    List<Long> versions =
        manager.status(model).map(ModelStatus::availableVersions).orElse(List.of());
    SignatureSpec signature = served.signature(SignatureSpec.DEFAULT_KEY);
    Replies.json(
        ctx,
        200,
        json -> {
          json.writeStartObject();
          json.writeStringField("name", model);
          json.writeArrayFieldStart("versions");
          for (long version : versions) {
            json.writeString(Long.toString(version));
          }
          json.writeEndArray();
          json.writeStringField("platform", "tensorflow_savedmodel");
          if (served.lineage() != null) {
            json.writeObjectFieldStart("parameters");
            json.writeFieldName("lineage");
            json.writeRawValue(served.lineage());
            json.writeEndObject();
          }
          writeTensorMetadata(json, "inputs", signature.inputs().values());
          writeTensorMetadata(json, "outputs", signature.outputs().values());
          json.writeEndObject();
        });
  }

  private static void writeTensorMetadata(
      JsonGenerator json, String field, Iterable<TensorSpec> tensors) throws IOException {
    json.writeArrayFieldStart(field);
    for (TensorSpec spec : tensors) {
      json.writeStartObject();
      json.writeStringField("name", spec.name());
      json.writeStringField("datatype", spec.dtype().oipName());
      json.writeArrayFieldStart("shape");
      for (long dim : spec.unknownRank() ? new long[] {-1} : spec.shape()) {
        json.writeNumber(dim);
      }
      json.writeEndArray();
      json.writeEndObject();
    }
    json.writeEndArray();
  }

  private void modelReady(RoutingContext ctx) {
    String model = PathParams.model(ctx);
    OptionalLong version = PathParams.version(ctx, manager);
    boolean ready;
    try {
      manager.acquire(model, version).release();
      ready = true;
    } catch (ServingException e) {
      ready = false;
    }
    boolean isReady = ready;
    Replies.json(
        ctx,
        isReady ? 200 : 400,
        json -> {
          json.writeStartObject();
          json.writeStringField("name", model);
          json.writeBooleanField("ready", isReady);
          if (!isReady) {
            json.writeStringField("error", "model " + model + " is not ready");
          }
          json.writeEndObject();
        });
  }

  private void infer(RoutingContext ctx) {
    String model = PathParams.model(ctx);
    OptionalLong version = PathParams.version(ctx, manager);
    OipCodec.WireRequest wire = parse(ctx);
    RequestScope scope = RequestScopes.ofOip(ctx, OipCodec.timeoutMillis(wire.header()));
    Future.fromCompletionStage(
            inference.infer(model, version, view -> OipCodec.decode(view, wire), scope),
            ctx.vertx().getOrCreateContext())
        .map(result -> OipCodec.encode(result, wire))
        .onSuccess(
            reply -> {
              if (reply.headerLength() >= 0) {
                ctx.response()
                    .putHeader(HEADER_LENGTH, Integer.toString(reply.headerLength()))
                    .putHeader("content-type", "application/octet-stream");
                ctx.response().setStatusCode(200).end(reply.body());
              } else {
                Replies.send(ctx, 200, reply.body());
              }
            })
        .onFailure(ctx::fail);
  }

  private static OipCodec.WireRequest parse(RoutingContext ctx) {
    byte[] bytes = RawBody.bytes(ctx);
    String lengthHeader = ctx.request().getHeader(HEADER_LENGTH);
    if (lengthHeader == null || bytes.length == 0) {
      return OipCodec.parse(bytes, bytes.length);
    }
    int length;
    try {
      length = Integer.parseInt(lengthHeader.trim());
    } catch (NumberFormatException e) {
      throw ServingException.invalid(
          HEADER_LENGTH + " must be an integer, got '" + lengthHeader + "'");
    }
    if (length <= 0 || length > bytes.length) {
      throw ServingException.invalid(
          HEADER_LENGTH + " is " + length + " but the body has " + bytes.length + " bytes");
    }
    return OipCodec.parse(bytes, length);
  }
}
