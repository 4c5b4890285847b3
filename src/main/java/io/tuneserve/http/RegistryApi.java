package io.tuneserve.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tuneserve.model.ServingException;
import io.tuneserve.registry.ModelRecord;
import io.tuneserve.registry.ModelRegistry;
import io.tuneserve.registry.NodeVersionState;
import io.tuneserve.registry.VersionPublisher;
import io.tuneserve.registry.VersionRecord;
import io.tuneserve.rollout.Rollouts;
import io.tuneserve.rollout.Trial;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The cluster's registry, the same from every node: nodes, models, versions with their checkpoint,
 * lineage (the promotion gate's decision among it), rollout trials (newest first) and state on each
 * node; pin, unpin and delete versions.
 */
final class RegistryApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VERSION_PATH =
      "/v2/registry/models/(?<model>[^/:]+)/versions/(?<version>[^/:]+)";
  private final VersionPublisher publisher;
  private final ModelRegistry registry;
  private final Rollouts rollouts;

  RegistryApi(VersionPublisher publisher, Rollouts rollouts) {
    this.publisher = publisher;
    this.registry = publisher.registry();
    this.rollouts = rollouts;
  }

  void mount(Router router) {
    router.get("/v2/registry").handler(ctx -> reply(ctx, 200, () -> view(null)));
    router
        .getWithRegex("/v2/registry/models/(?<model>[^/:]+)")
        .handler(ctx -> reply(ctx, 200, () -> model(PathParams.model(ctx))));
    router
        .postWithRegex(VERSION_PATH + "/pin")
        .handler(ctx -> reply(ctx, 200, () -> pin(ctx, true)));
    router
        .postWithRegex(VERSION_PATH + "/unpin")
        .handler(ctx -> reply(ctx, 200, () -> pin(ctx, false)));
    router
        .deleteWithRegex(VERSION_PATH)
        .handler(
            ctx ->
                reply(
                    ctx,
                    200,
                    () -> {
                      String model = PathParams.model(ctx);
                      publisher.delete(model, version(ctx));
                      return model(model);
                    }));
  }

  private static long version(RoutingContext ctx) {
    return PathParams.version(ctx).orElseThrow();
  }

  private ObjectNode pin(RoutingContext ctx, boolean pinned) throws Exception {
    String model = PathParams.model(ctx);
    publisher.pin(model, version(ctx), pinned);
    return model(model);
  }

  private ObjectNode model(String name) throws IOException {
    ObjectNode view = view(name);
    ArrayNode models = (ArrayNode) view.get("models");
    if (models.isEmpty()) {
      throw ServingException.notFound("no model " + name + " in the registry");
    }
    return (ObjectNode) models.get(0);
  }

  /** Nodes and models (all, or the one named), each version with its state on every node. */
  private ObjectNode view(String only) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("node", registry.nodeId());
    ArrayNode nodes = root.putArray("nodes");
    registry.nodes().values().forEach(node -> nodes.add(JSON.valueToTree(node)));
    List<VersionRecord> versions = registry.versions();
    List<NodeVersionState> states = registry.states();
    Map<String, String> signatures = registry.signatures();
    ArrayNode models = root.putArray("models");
    for (Map.Entry<String, ModelRecord> model : registry.models().entrySet()) {
      if (only != null && !only.equals(model.getKey())) {
        continue;
      }
      ObjectNode entry = models.addObject();
      entry.put("name", model.getKey());
      entry.put("settings", model.getValue().settings());
      ObjectNode labelView = entry.putObject("labels");
      publisher
          .labels()
          .of(model.getKey())
          .forEach((label, version) -> labelView.put(label, Long.toString(version)));
      ArrayNode versionViews = entry.putArray("versions");
      List<Trial> trials = rollouts.trials(model.getKey());
      for (VersionRecord version : versions) {
        if (version.model().equals(model.getKey())) {
          ObjectNode versionView = versionViews.addObject();
          versionView.setAll(versionView(version, states));
          ArrayNode trialViews = versionView.putArray("trials");
          for (Trial trial : trials) {
            if (trial.candidate() == version.version()) {
              trialViews.add(JSON.valueToTree(trial.toMap()));
            }
          }
          String signature = signatures.get(version.key());
          if (signature != null) {
            versionView.set("signatures", JSON.readTree(signature));
          }
        }
      }
    }
    return root;
  }

  private static ObjectNode versionView(VersionRecord version, List<NodeVersionState> states)
      throws IOException {
    ObjectNode view = JSON.createObjectNode();
    view.put("version", Long.toString(version.version()));
    view.put("sha256", version.sha256());
    view.put("bytes", version.bytes());
    view.put("store", version.store());
    view.put("pinned", version.pinned());
    view.put("created_at", version.createdAt());
    view.put("published_by", version.publishedBy());
    if (version.headBase() != null) {
      view.put("head_base", version.headBase());
    }
    if (version.lineage() != null) {
      view.set("lineage", JSON.readTree(version.lineage()));
    }
    ObjectNode nodes = view.putObject("nodes");
    for (NodeVersionState state : states) {
      if (state.model().equals(version.model()) && state.version() == version.version()) {
        ObjectNode node = nodes.putObject(state.node());
        node.put("state", state.state());
        if (state.error() != null) {
          node.put("error", state.error());
        }
        node.put("at", state.at());
      }
    }
    return view;
  }

  /** Registry calls block: they run on a worker thread and the reply comes back to the loop. */
  private static void reply(RoutingContext ctx, int status, Callable<ObjectNode> action) {
    Replies.jsonFromWorker(ctx, status, action, JSON::writeTree);
  }
}
