package io.tuneserve.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.model.ServingException;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ServedVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /v2/models/{m}[/versions/{v}]/evaluation}: how a version published by a fine-tuning
 * job did on the job's held-out split (accuracy, per-class precision, recall and F1, the confusion
 * matrix), one report per split, as recorded in its lineage.
 */
final class EvaluationApi {
  private static final String PATH = "/v2/models" + PathParams.MODEL_AND_VERSION + "/evaluation";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ModelManager manager;

  EvaluationApi(ModelManager manager) {
    this.manager = manager;
  }

  void mount(Router router) {
    router.getWithRegex(PATH).handler(this::evaluation);
  }

  private void evaluation(RoutingContext ctx) {
    NamedVersion.read(manager, ctx, served -> reply(ctx, served));
  }

  private static void reply(RoutingContext ctx, ServedVersion served) {
    String model = served.name();
    JsonNode evaluations = evaluationsOf(served.lineage());
    if (evaluations == null) {
      throw ServingException.notFound(
          "model "
              + model
              + " version "
              + served.version()
              + " has no evaluation: only versions published by a fine-tuning job that held"
              + " out a validation split have one");
    }
    Replies.json(
        ctx,
        200,
        json -> {
          Map<String, Object> reply = new LinkedHashMap<>();
          reply.put("name", model);
          reply.put("version", Long.toString(served.version()));
          reply.put("evaluations", evaluations);
          JSON.writeValue(json, reply);
        });
  }

  private static JsonNode evaluationsOf(String lineage) {
    if (lineage == null) {
      return null;
    }
    try {
      JsonNode node = JSON.readTree(lineage).get("evaluations");
      return node == null || !node.isArray() || node.isEmpty() ? null : node;
    } catch (JsonProcessingException e) {
      throw new ServingException(
          io.tuneserve.model.ErrorKind.INTERNAL, "the version's lineage is not readable JSON", e);
    }
  }
}
