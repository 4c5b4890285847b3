package io.tuneserve.http;

import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ModelStatus;
import io.tuneserve.serving.VersionStatus;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The model repository API (Triton's names): list models and versions with their state, load or
 * unload a model, and re-scan the repository.
 */
final class ManagementApi {
  static final String API = "management";
  private final ModelManager manager;
  private final Supplier<CompletableFuture<Void>> rescan;

  /**
   * @param rescan brings the node to the repository and the registry again
   */
  ManagementApi(ModelManager manager, Supplier<CompletableFuture<Void>> rescan) {
    this.manager = manager;
    this.rescan = rescan;
  }

  void mount(Router router) {
    router.post("/v2/repository/index").handler(this::index);
    router.get("/v2/repository/index").handler(this::index);
    router.post("/v2/repository/rescan").handler(ctx -> await(ctx, rescan));
    router
        .postWithRegex("/v2/repository/models/(?<model>[^/]+)/load")
        .handler(ctx -> await(ctx, () -> manager.load(PathParams.model(ctx))));
    router
        .postWithRegex("/v2/repository/models/(?<model>[^/]+)/unload")
        .handler(ctx -> await(ctx, () -> manager.unload(PathParams.model(ctx))));
  }

  private void index(RoutingContext ctx) {
    List<ModelStatus> models = manager.status();
    Replies.json(
        ctx,
        200,
        json -> {
          json.writeStartArray();
          for (ModelStatus model : models) {
            if (model.versions().isEmpty()) {
              json.writeStartObject();
              json.writeStringField("name", model.name());
              json.writeStringField("state", "UNAVAILABLE");
              json.writeStringField("reason", model.whyNoVersion());
              json.writeEndObject();
            }
            for (VersionStatus version : model.versions()) {
              json.writeStartObject();
              json.writeStringField("name", model.name());
              json.writeStringField("version", Long.toString(version.version()));
              json.writeStringField("state", version.state().name());
              json.writeStringField("reason", version.error());
              if (version.maxBatchSize() > 0) {
                json.writeNumberField("max_batch_size", version.maxBatchSize());
              }
              if (version.lineage() != null) {
                json.writeFieldName("lineage");
                json.writeRawValue(version.lineage());
              }
              json.writeEndObject();
            }
          }
          json.writeEndArray();
        });
  }

  /** Runs a manager action and replies once it is done, with the resulting index. */
  private void await(RoutingContext ctx, Supplier<CompletableFuture<Void>> action) {
    Future.fromCompletionStage(action.get(), ctx.vertx().getOrCreateContext())
        .onSuccess(done -> index(ctx))
        .onFailure(ctx::fail);
  }
}
