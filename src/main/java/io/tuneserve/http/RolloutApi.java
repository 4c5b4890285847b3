package io.tuneserve.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.model.ServingException;
import io.tuneserve.registry.ModelRegistry;
import io.tuneserve.rollout.RolloutPolicy;
import io.tuneserve.rollout.Rollouts;
import io.tuneserve.rollout.Trial;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A model's rollout settings, cluster-wide: {@code PUT /v1/models/{m}/rollout} sets them, {@code
 * DELETE} goes back to the defaults (promotion on the accuracy check alone), {@code GET} shows them
 * with the model's trials, running and decided.
 */
final class RolloutApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PATH = "/v1/models/(?<model>[^/:]+)/rollout";

  private final Rollouts rollouts;
  private final ModelRegistry registry;

  RolloutApi(Rollouts rollouts, ModelRegistry registry) {
    this.rollouts = rollouts;
    this.registry = registry;
  }

  void mount(Router router) {
    router.putWithRegex(PATH).handler(this::set);
    router.postWithRegex(PATH).handler(this::set);
    router.deleteWithRegex(PATH).handler(this::remove);
    router.getWithRegex(PATH).handler(this::show);
  }

  private void set(RoutingContext ctx) {
    String model = PathParams.model(ctx);
    Buffer body = RawBody.of(ctx);
    byte[] bytes = body == null ? new byte[0] : body.getBytes();
    RolloutPolicy policy = RolloutPolicy.parse(JsonBodies.parseObject(bytes, 0, bytes.length));
    ctx.vertx()
        .executeBlocking(
            () -> {
              known(model);
              rollouts.setPolicy(model, policy);
              return view(model);
            },
            false)
        .onSuccess(view -> Replies.json(ctx, 200, json -> JSON.writeValue(json, view)))
        .onFailure(ctx::fail);
  }

  private void remove(RoutingContext ctx) {
    String model = PathParams.model(ctx);
    ctx.vertx()
        .executeBlocking(
            () -> {
              if (!rollouts.removePolicy(model)) {
                throw ServingException.notFound("model " + model + " has no rollout settings");
              }
              return view(model);
            },
            false)
        .onSuccess(view -> Replies.json(ctx, 200, json -> JSON.writeValue(json, view)))
        .onFailure(ctx::fail);
  }

  private void show(RoutingContext ctx) {
    String model = PathParams.model(ctx);
    ctx.vertx()
        .executeBlocking(
            () -> {
              known(model);
              return view(model);
            },
            false)
        .onSuccess(view -> Replies.json(ctx, 200, json -> JSON.writeValue(json, view)))
        .onFailure(ctx::fail);
  }

  private void known(String model) {
    if (registry.model(model).isEmpty()) {
      throw ServingException.notFound("no model " + model + " in the registry");
    }
  }

  private Map<String, Object> view(String model) {
    Optional<RolloutPolicy> policy = rollouts.policy(model);
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("model", model);
    view.put("configured", policy.isPresent());
    view.put("settings", policy.orElse(RolloutPolicy.DEFAULT).toMap());
    view.put("trials", rollouts.trials(model).stream().map(Trial::toMap).toList());
    return view;
  }
}
