package io.tuneserve.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.dataset.DatasetImages;
import io.tuneserve.dataset.DatasetReader;
import io.tuneserve.dataset.DatasetStore;
import io.tuneserve.dataset.DatasetVersion;
import io.tuneserve.inference.InferenceResult;
import io.tuneserve.inference.InferenceService;
import io.tuneserve.model.RequestScope;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ServedVersion;
import io.tuneserve.training.Evaluation;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;

/**
 * {@code POST /v2/models/{m}[/versions/{v}]/evaluate} with {@code {"dataset": name,
 * "dataset_version": n}}: runs every image of a stored dataset through the served version, in
 * batches through the same queues as any request, and answers with the evaluation report (accuracy,
 * per-class precision, recall, F1, confusion matrix) against the dataset's labels.
 */
final class EvaluateApi {
  private static final String PATH = "/v2/models" + PathParams.MODEL_AND_VERSION + "/evaluate";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BATCH = 64;

  private final InferenceService inference;
  private final ModelManager manager;
  private final DatasetStore datasets;
  private final long maxImagePixels;

  EvaluateApi(
      InferenceService inference,
      ModelManager manager,
      DatasetStore datasets,
      long maxImagePixels) {
    this.inference = inference;
    this.manager = manager;
    this.datasets = datasets;
    this.maxImagePixels = maxImagePixels;
  }

  void mount(Router router) {
    router.postWithRegex(PATH).handler(this::evaluate);
  }

  private void evaluate(RoutingContext ctx) {
    String model = PathParams.model(ctx);
    OptionalLong version = PathParams.version(ctx, manager);
    Buffer body = RawBody.of(ctx);
    byte[] bytes = body == null ? new byte[0] : body.getBytes();
    RequestScope scope = RequestScopes.of(ctx);
    ctx.vertx()
        .executeBlocking(
            () -> {
              JsonNode request = JsonBodies.parseObject(bytes, 0, bytes.length);
              return report(model, version, DatasetsApi.named(datasets, request, "dataset"), scope);
            },
            false)
        .onSuccess(reply -> Replies.json(ctx, 200, json -> JSON.writeValue(json, reply)))
        .onFailure(ctx::fail);
  }

  private Map<String, Object> report(
      String model, OptionalLong requested, DatasetVersion dataset, RequestScope scope)
      throws IOException, InterruptedException {
    ServedVersion served = manager.acquire(model, requested);
    long version = served.version();
    List<String> classes = served.settings().labels();
    served.release();
    if (classes.isEmpty()) {
      throw ServingException.invalid(
          "model "
              + model
              + " names no labels in its model.yaml, so its answers cannot be compared with"
              + " dataset "
              + dataset.name());
    }
    try (DatasetReader reader = datasets.open(dataset)) {
      int[] truth = truth(reader, dataset, model, classes);
      int[] predicted = new int[truth.length];
      for (int from = 0; from < truth.length; from += BATCH) {
        int start = from;
        int n = Math.min(BATCH, truth.length - from);
        InferenceResult result =
            await(
                inference.infer(
                    model,
                    OptionalLong.of(version),
                    view ->
                        ImageApi.imageRequest(
                            view,
                            maxImagePixels,
                            decoder -> new DatasetImages(reader, decoder).range(start, n)),
                    scope));
        TensorData scores = result.outputs().values().iterator().next();
        System.arraycopy(scores.argmaxRows(), 0, predicted, start, n);
      }
      Map<String, Object> reply = new LinkedHashMap<>();
      reply.put("name", model);
      reply.put("version", Long.toString(version));
      reply.put("dataset", dataset.name());
      reply.put("dataset_version", dataset.version());
      reply.put("dataset_sha256", dataset.sha256());
      reply.putAll(Evaluation.of("dataset", classes, truth, predicted).toMap());
      return reply;
    }
  }

  /** Each example's class as the model numbers its classes; 400 for a class it does not have. */
  private static int[] truth(
      DatasetReader reader, DatasetVersion dataset, String model, List<String> classes) {
    int[] labels = reader.labels();
    int[] truth = new int[labels.length];
    for (int i = 0; i < labels.length; i++) {
      String name = dataset.classNames().get(labels[i]);
      truth[i] = classes.indexOf(name);
      if (truth[i] < 0) {
        throw ServingException.invalid(
            "dataset "
                + dataset.name()
                + " has examples of class '"
                + name
                + "', which model "
                + model
                + " does not classify (its classes: "
                + classes
                + ")");
      }
    }
    return truth;
  }

  private static InferenceResult await(java.util.concurrent.CompletableFuture<InferenceResult> call)
      throws InterruptedException {
    try {
      return call.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException failure) {
        throw failure;
      }
      throw new IllegalStateException(e.getCause());
    }
  }
}
