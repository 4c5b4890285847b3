package io.tuneserve.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.tuneserve.model.ServingException;
import io.tuneserve.registry.ModelRegistry;
import io.tuneserve.serving.VersionLabels;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.TreeMap;

/**
 * Version labels, cluster-wide: {@code PUT} (or {@code POST}) {@code /v1/models/{m}/labels/{label}}
 * with {@code {"version": N}} points a label at a registered version, {@code DELETE} removes it,
 * {@code GET /v1/models/{m}/labels} lists them. Requests name a label wherever they name a version
 * ({@code /v1/models/{m}/labels/{label}:predict}, {@code /v2/models/{m}/labels/{label}/infer},
 * ...), and once a model has a {@code stable} label, requests that name neither get its version.
 */
final class LabelsApi {
  private static final String LABEL = "/v1/models/(?<model>[^/:]+)/labels/(?<label>[^/:]+)";

  private final VersionLabels labels;
  private final ModelRegistry registry;

  LabelsApi(VersionLabels labels, ModelRegistry registry) {
    this.labels = labels;
    this.registry = registry;
  }

  void mount(Router router) {
    router.putWithRegex(LABEL).handler(this::set);
    // POST too, as a rollback reads: POST .../labels/stable {"version": 3}.
    router.postWithRegex(LABEL).handler(this::set);
    router.deleteWithRegex(LABEL).handler(this::remove);
    router.getWithRegex("/v1/models/(?<model>[^/:]+)/labels").handler(this::list);
  }

  private void set(RoutingContext ctx) {
    String model = PathParams.model(ctx);
    String label = ctx.pathParam("label");
    VersionLabels.checkName(label);
    Buffer body = RawBody.of(ctx);
    byte[] bytes = body == null ? new byte[0] : body.getBytes();
    JsonNode request = JsonBodies.parseObject(bytes, 0, bytes.length);
    long version = versionOf(request.get("version"));
    ctx.vertx()
        .executeBlocking(
            () -> {
              if (registry.version(model, version).isEmpty()) {
                throw ServingException.notFound(
                    "model " + model + " has no registered version " + version + " to label");
              }
              labels.set(model, label, version);
              return labels.of(model);
            },
            false)
        .onSuccess(all -> reply(ctx, model, all))
        .onFailure(ctx::fail);
  }

  private void remove(RoutingContext ctx) {
    String model = PathParams.model(ctx);
    String label = ctx.pathParam("label");
    VersionLabels.checkName(label);
    ctx.vertx()
        .executeBlocking(
            () -> {
              if (!labels.remove(model, label)) {
                throw ServingException.notFound("model " + model + " has no label " + label);
              }
              return labels.of(model);
            },
            false)
        .onSuccess(all -> reply(ctx, model, all))
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    String model = PathParams.model(ctx);
    reply(ctx, model, labels.of(model));
  }

  /** {@code "version": 3} or TF Serving's string form {@code "3"}. */
  private static long versionOf(JsonNode node) {
    if (node != null && node.isIntegralNumber() && node.longValue() >= 1) {
      return node.longValue();
    }
    if (node != null && node.isTextual() && node.textValue().matches("[1-9][0-9]{0,17}")) {
      return Long.parseLong(node.textValue());
    }
    throw ServingException.invalid("'version' must be a positive integer, the version to label");
  }

  private static void reply(RoutingContext ctx, String model, Map<String, Long> all) {
    Map<String, String> named = new TreeMap<>();
    all.forEach((label, version) -> named.put(label, Long.toString(version)));
    Replies.json(
        ctx,
        200,
        json -> {
          json.writeStartObject();
          json.writeStringField("model", model);
          json.writeObjectFieldStart("labels");
          for (Map.Entry<String, String> entry : named.entrySet()) {
            json.writeStringField(entry.getKey(), entry.getValue());
          }
          json.writeEndObject();
          json.writeEndObject();
        });
  }
}
