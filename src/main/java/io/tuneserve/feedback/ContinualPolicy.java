package io.tuneserve.feedback;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.tuneserve.model.ServingException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a model learns from its feedback: once enough new labelled examples have arrived, a job
 * fine-tunes the current stable version on the model's dataset plus the feedback, and its result
 * goes through the promotion gate as a candidate.
 *
 * @param dataset the dataset the model's jobs train on besides the feedback, or null
 * @param labels labels feedback may carry besides the model's own: classes it has yet to learn
 * @param minNewExamples new feedback examples that start the next job
 * @param minNewPerClass when above 0, a job starts only once every label with new feedback has at
 *     least this many
 * @param maxFeedback the most examples the feedback dataset holds; more are refused
 * @param keepPredictions hold the images of recent {@code :classify-image} requests, so feedback
 *     may name a prediction by its id
 * @param job the job's fields: base_model (the model itself unless named), strategy,
 *     hyperparameters, augmentation
 */
public record ContinualPolicy(
    @JsonProperty("dataset") String dataset,
    @JsonProperty("labels") List<String> labels,
    @JsonProperty("min_new_examples") int minNewExamples,
    @JsonProperty("min_new_per_class") int minNewPerClass,
    @JsonProperty("max_feedback") int maxFeedback,
    @JsonProperty("keep_predictions") boolean keepPredictions,
    @JsonProperty("job") Map<String, Object> job) {

  public ContinualPolicy {
    labels = labels == null ? List.of() : List.copyOf(labels);
    job = job == null ? Map.of() : Map.copyOf(job);
  }

  private static final List<String> FIELDS =
      List.of(
          "dataset",
          "labels",
          "min_new_examples",
          "min_new_per_class",
          "max_feedback",
          "keep_predictions",
          "job");

  /** The feedback dataset of a model. */
  public static String feedbackDataset(String model) {
    return model + ".feedback";
  }

  /** The settings a request body gives; 400 naming a bad one. */
  @SuppressWarnings("unchecked")
  public static ContinualPolicy parse(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw ServingException.invalid(
          "continual settings must be a JSON object with any of " + FIELDS);
    }
    for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw ServingException.invalid(
            "unknown continual setting '" + name + "'; the settings are " + FIELDS);
      }
    }
    JsonNode dataset = body.get("dataset");
    if (dataset != null && !dataset.isNull() && !dataset.isTextual()) {
      throw ServingException.invalid("continual 'dataset' must name a dataset");
    }
    List<String> labels = new ArrayList<>();
    JsonNode names = body.get("labels");
    if (names != null && !names.isNull()) {
      if (!names.isArray()) {
        throw ServingException.invalid("continual 'labels' must be a list of label names");
      }
      for (JsonNode name : names) {
        if (!name.isTextual() || name.textValue().isBlank()) {
          throw ServingException.invalid("continual 'labels' must be a list of label names");
        }
        labels.add(name.textValue());
      }
    }
    JsonNode job = body.get("job");
    if (job != null && !job.isNull() && !job.isObject()) {
      throw ServingException.invalid(
          "continual 'job' must be an object of job fields (strategy, hyperparameters, ...)");
    }
    if (job != null && (job.has("dataset") || job.has("target_model"))) {
      throw ServingException.invalid(
          "continual 'job' sets the base_model and training options; its data and target are the model's");
    }
    JsonNode keep = body.get("keep_predictions");
    if (keep != null && !keep.isBoolean()) {
      throw ServingException.invalid("continual 'keep_predictions' must be true or false");
    }
    return new ContinualPolicy(
        dataset == null || dataset.isNull() ? null : dataset.textValue(),
        labels,
        count(body, "min_new_examples", 50, 1),
        count(body, "min_new_per_class", 0, 0),
        count(body, "max_feedback", 10_000, 1),
        keep == null || keep.booleanValue(),
        job == null || job.isNull()
            ? Map.of()
            : new com.fasterxml.jackson.databind.ObjectMapper().convertValue(job, Map.class));
  }

  private static int count(JsonNode body, String field, int fallback, int min) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return fallback;
    }
    if (!node.isIntegralNumber() || node.asLong() < min || node.asLong() > 10_000_000) {
      throw ServingException.invalid(
          "continual '" + field + "' must be an integer of at least " + min + ", got " + node);
    }
    return node.intValue();
  }

  /** Whether the feedback that arrived since the last job is enough for the next. */
  public boolean ready(FeedbackState state) {
    if (state.newExamples() < minNewExamples) {
      return false;
    }
    return minNewPerClass == 0
        || state.newPerClass().values().stream().allMatch(n -> n >= minNewPerClass);
  }

  public Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("dataset", dataset);
    map.put("labels", labels);
    map.put("min_new_examples", minNewExamples);
    map.put("min_new_per_class", minNewPerClass);
    map.put("max_feedback", maxFeedback);
    map.put("keep_predictions", keepPredictions);
    map.put("job", job);
    return map;
  }
}
