package io.tuneserve.feedback;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.config.JsonSettings;
import io.tuneserve.model.ServingException;
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
 * @param everySeconds when above 0, the schedule: new feedback, however little, starts a job once
 *     this long has passed since the last continual job started
 * @param maxFeedback the most examples the feedback dataset holds; more are refused
 * @param keepPredictions hold the images of recent {@code :classify-image} requests, so feedback
 *     may name a prediction by its id
 * @param job the job's fields: base_model (unless named, the model itself, or the base its stable
 *     version was trained from when that is a head-only version), strategy, hyperparameters,
 *     augmentation
 */
public record ContinualPolicy(
    @JsonProperty("dataset") String dataset,
    @JsonProperty("labels") List<String> labels,
    @JsonProperty("min_new_examples") int minNewExamples,
    @JsonProperty("min_new_per_class") int minNewPerClass,
    @JsonProperty("every_seconds") double everySeconds,
    @JsonProperty("max_feedback") int maxFeedback,
    @JsonProperty("keep_predictions") boolean keepPredictions,
    @JsonProperty("job") Map<String, Object> job) {

  private static final ObjectMapper JSON = new ObjectMapper();

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
          "every_seconds",
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
    JsonSettings settings = JsonSettings.of(body, "continual", FIELDS);
    JsonNode job =
        settings.object("job", "job fields (base_model, strategy, hyperparameters, ...)");
    if (job != null && (job.has("dataset") || job.has("target_model"))) {
      throw ServingException.invalid(
          "continual 'job' sets the base_model and training options; its data and target are the model's");
    }
    return new ContinualPolicy(
        settings.name("dataset", "a dataset"),
        settings.names("labels", "label names"),
        settings.count("min_new_examples", 50, 1),
        settings.count("min_new_per_class", 0, 0),
        settings.number("every_seconds", 0, 0, 366 * 24 * 3600.0),
        settings.count("max_feedback", 10_000, 1),
        settings.flag("keep_predictions", true),
        job == null ? Map.of() : JSON.convertValue(job, Map.class));
  }

  /**
   * Whether the feedback that arrived since the last job is enough for the next at {@code
   * nowMillis}: the counts are reached, or new feedback has waited {@code every_seconds} since the
   * last continual job started (since the first of it, before any job).
   */
  public boolean ready(FeedbackState state, long nowMillis) {
    if (state.newExamples() == 0) {
      return false;
    }
    if (everySeconds > 0) {
      long since = state.lastJobAtMillis() > 0 ? state.lastJobAtMillis() : state.firstNewAtMillis();
      if (nowMillis - since >= Math.round(everySeconds * 1000)) {
        return true;
      }
    }
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
    map.put("every_seconds", everySeconds);
    map.put("max_feedback", maxFeedback);
    map.put("keep_predictions", keepPredictions);
    map.put("job", job);
    return map;
  }
}
