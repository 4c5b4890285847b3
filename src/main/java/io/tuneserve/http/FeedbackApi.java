package io.tuneserve.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.dataset.DatasetStore;
import io.tuneserve.dataset.DatasetVersion;
import io.tuneserve.feedback.ContinualPolicy;
import io.tuneserve.feedback.ContinualTrainer;
import io.tuneserve.feedback.FeedbackState;
import io.tuneserve.feedback.FeedbackStore;
import io.tuneserve.model.ServingException;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ServedVersion;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Users' corrections: {@code POST /v1/models/{m}:feedback} with a label and an image ({@code b64})
 * or the {@code prediction_id} of a recent {@code :classify-image} answer adds a labelled example
 * to the model's feedback dataset, and {@code PUT /v1/models/{m}/continual} sets when feedback
 * starts a fine-tuning job.
 */
final class FeedbackApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONTINUAL = "/v1/models/(?<model>[^/:]+)/continual";

  private final FeedbackStore store;
  private final DatasetStore datasets;
  private final ModelManager manager;
  private final ContinualTrainer trainer;
  private final long maxImagePixels;

  FeedbackApi(
      FeedbackStore store,
      DatasetStore datasets,
      ModelManager manager,
      ContinualTrainer trainer,
      long maxImagePixels) {
    this.store = store;
    this.datasets = datasets;
    this.manager = manager;
    this.trainer = trainer;
    this.maxImagePixels = maxImagePixels;
  }

  void mount(Router router) {
    router.postWithRegex("/v1/models/(?<model>[^/:]+):feedback").handler(this::feedback);
    router.putWithRegex(CONTINUAL).handler(this::setPolicy);
    router.postWithRegex(CONTINUAL).handler(this::setPolicy);
    router.getWithRegex(CONTINUAL).handler(this::showPolicy);
    router.deleteWithRegex(CONTINUAL).handler(this::removePolicy);
  }

  private void feedback(RoutingContext ctx) {
    String model = PathParams.model(ctx);
    JsonNode body = body(ctx);
    ctx.vertx()
        .executeBlocking(() -> add(model, body), false)
        .onSuccess(reply -> Replies.json(ctx, 201, json -> JSON.writeValue(json, reply)))
        .onFailure(ctx::fail);
  }

  private Map<String, Object> add(String model, JsonNode body) throws Exception {
    JsonNode labelNode = body.get("label");
    if (labelNode == null || !labelNode.isTextual() || labelNode.textValue().isBlank()) {
      throw ServingException.invalid("feedback needs a 'label': the right answer for the image");
    }
    String label = labelNode.textValue();
    Optional<ContinualPolicy> policy = store.policy(model);
    byte[] image = image(model, body);
    ServedVersion served = manager.acquire(model, OptionalLong.empty());
    try {
      List<String> known = new ArrayList<>(served.settings().labels());
      policy.ifPresent(p -> known.addAll(p.labels()));
      if (!known.contains(label)) {
        throw ServingException.invalid(
            "unknown label '"
                + label
                + "'; model "
                + model
                + " knows "
                + known
                + " (name new classes in its continual settings' labels)");
      }
      // The image must be one the model can take.
      ImageApi.imageRequest(served, maxImagePixels, decoder -> decoder.decode(image));
    } finally {
      served.release();
    }
    int max = policy.map(ContinualPolicy::maxFeedback).orElse(10_000);
    if (store.state(model).examples() >= max) {
      throw ServingException.conflict(
          "the feedback dataset of "
              + model
              + " holds its most examples ("
              + max
              + "); raise max_feedback in its continual settings");
    }
    String sha256 = sha256(image);
    String dataset = ContinualPolicy.feedbackDataset(model);
    Map<String, Object> reply = new LinkedHashMap<>();
    reply.put("model", model);
    reply.put("label", label);
    reply.put("dataset", dataset);
    reply.put("sha256", sha256);
    if (!store.addImage(model, sha256)) {
      reply.put("added", false);
      reply.put("reason", "the feedback dataset holds this image already");
      reply.put("examples", store.state(model).examples());
      return reply;
    }
    DatasetVersion version;
    try {
      version =
          datasets.write(
              dataset,
              DatasetStore.Change.ADD,
              sink -> sink.add(label, "feedback " + sha256, image));
    } catch (RuntimeException e) {
      store.removeImage(model, sha256);
      throw e;
    }
    FeedbackState state = trainer.recordExample(model, label);
    reply.put("added", true);
    reply.put("dataset_version", version.version());
    reply.put("examples", state.examples());
    reply.put("new_since_last_job", state.newExamples());
    trainer.maybeStart(model).ifPresent(job -> reply.put("job", job));
    return reply;
  }

  /** The example's image: sent with it, or held from the prediction it names. */
  private byte[] image(String model, JsonNode body) {
    JsonNode b64 = body.get("b64");
    JsonNode id = body.get("prediction_id");
    if ((b64 == null) == (id == null)) {
      throw ServingException.invalid(
          "feedback takes an image as 'b64' (PNG or JPEG) or the 'prediction_id' of a recent"
              + " :classify-image answer, one of the two");
    }
    if (b64 != null) {
      if (!b64.isTextual()) {
        throw ServingException.invalid("'b64' must be a base64 string of PNG or JPEG bytes");
      }
      try {
        return Base64.getDecoder().decode(b64.textValue());
      } catch (IllegalArgumentException e) {
        throw ServingException.invalid("'b64' is not valid base64: " + e.getMessage());
      }
    }
    FeedbackStore.Prediction prediction =
        store
            .prediction(id.asText())
            .orElseThrow(
                () ->
                    ServingException.notFound(
                        "no recent prediction "
                            + id
                            + " (predictions are held for a while, for models whose continual"
                            + " settings keep them)"));
    if (!prediction.model().equals(model)) {
      throw ServingException.invalid(
          "prediction " + id + " was made by model " + prediction.model() + ", not " + model);
    }
    return prediction.image();
  }

  private void setPolicy(RoutingContext ctx) {
    String model = PathParams.model(ctx);
    ContinualPolicy policy = ContinualPolicy.parse(body(ctx));
    if (!manager.knows(model)) {
      throw ServingException.notFound("no model " + model);
    }
    ctx.vertx()
        .executeBlocking(
            () -> {
              if (policy.dataset() != null) {
                datasets.resolve(policy.dataset(), null);
              }
              store.setPolicy(model, policy);
              return view(model);
            },
            false)
        .onSuccess(view -> Replies.json(ctx, 200, json -> JSON.writeValue(json, view)))
        .onFailure(ctx::fail);
  }

  private void showPolicy(RoutingContext ctx) {
    String model = PathParams.model(ctx);
    ctx.vertx()
        .executeBlocking(() -> view(model), false)
        .onSuccess(view -> Replies.json(ctx, 200, json -> JSON.writeValue(json, view)))
        .onFailure(ctx::fail);
  }

  private void removePolicy(RoutingContext ctx) {
    String model = PathParams.model(ctx);
    ctx.vertx()
        .executeBlocking(
            () -> {
              if (!store.removePolicy(model)) {
                throw ServingException.notFound("model " + model + " has no continual settings");
              }
              return view(model);
            },
            false)
        .onSuccess(view -> Replies.json(ctx, 200, json -> JSON.writeValue(json, view)))
        .onFailure(ctx::fail);
  }

  private Map<String, Object> view(String model) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("model", model);
    view.put("settings", store.policy(model).map(ContinualPolicy::toMap).orElse(null));
    view.put("feedback_dataset", ContinualPolicy.feedbackDataset(model));
    FeedbackState state = store.state(model);
    view.put("feedback_examples", state.examples());
    view.put("new_per_class", state.newPerClass());
    view.put("last_job", state.job());
    return view;
  }

  private static JsonNode body(RoutingContext ctx) {
    Buffer body = RawBody.of(ctx);
    byte[] bytes = body == null ? new byte[0] : body.getBytes();
    return JsonBodies.parseObject(bytes, 0, bytes.length);
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
