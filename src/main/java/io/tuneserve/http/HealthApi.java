package io.tuneserve.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tuneserve.serving.ModelManager;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** Liveness, readiness and the Prometheus scrape endpoint. */
final class HealthApi {
  private final ModelManager manager;
  private final PrometheusMeterRegistry registry;

  HealthApi(ModelManager manager, PrometheusMeterRegistry registry) {
    this.manager = manager;
    this.registry = registry;
  }

  void mount(Router router) {
    router.get("/v2/health/live").handler(ctx -> health(ctx, "live", true));
    router.get("/v2/health/ready").handler(ctx -> health(ctx, "ready", manager.isReady()));
    router.get("/metrics").handler(this::metrics);
  }

  private static void health(RoutingContext ctx, String field, boolean ok) {
    Replies.json(
        ctx,
        ok ? 200 : 503,
        json -> {
          json.writeStartObject();
          json.writeBooleanField(field, ok);
          if (!ok) {
            json.writeStringField("error", "models are still loading");
          }
          json.writeEndObject();
        });
  }

  private void metrics(RoutingContext ctx) {
    ctx.response()
        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
        .end(registry.scrape());
  }
}
