package io.tuneserve.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tuneserve.registry.NodeConvergence;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** Liveness, readiness and the Prometheus scrape endpoint. */
final class HealthApi {
  private final NodeConvergence node;
  private final Draining draining;
  private final PrometheusMeterRegistry registry;

  HealthApi(NodeConvergence node, Draining draining, PrometheusMeterRegistry registry) {
    this.node = node;
    this.draining = draining;
    this.registry = registry;
  }

  void mount(Router router) {
    router.get("/v2/health/live").handler(ctx -> health(ctx, "live", null));
    router.get("/v2/health/ready").handler(ctx -> health(ctx, "ready", notReady()));
    router.get("/metrics").handler(this::metrics);
  }

  /** Whether the node should get traffic (gRPC's readiness and health too). */
  boolean ready() {
    return notReady() == null;
  }

  /** Why the node should get no traffic, or null when it should. */
  private String notReady() {
    if (draining.started()) {
      return "the node is shutting down";
    }
    if (!node.converged()) {
      return "the node is still catching up with the cluster's registry and loading models";
    }
    return null;
  }

  private static void health(RoutingContext ctx, String field, String problem) {
    Replies.json(
        ctx,
        problem == null ? 200 : 503,
        json -> {
          json.writeStartObject();
          json.writeBooleanField(field, problem == null);
          if (problem != null) {
            json.writeStringField("error", problem);
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
