package io.tuneserve.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tuneserve.registry.NodeConvergence;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** Liveness, readiness and the Prometheus scrape endpoint. */
final class HealthApi {
  private final NodeConvergence node;
  private final PrometheusMeterRegistry registry;

  HealthApi(NodeConvergence node, PrometheusMeterRegistry registry) {
    this.node = node;
    this.registry = registry;
  }

  void mount(Router router) {
    router.get("/v2/health/live").handler(ctx -> health(ctx, "live", true));
    router.get("/v2/health/ready").handler(ctx -> health(ctx, "ready", node.converged()));
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
            json.writeStringField(
                "error",
                "the node is still catching up with the cluster's registry and loading models");
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
