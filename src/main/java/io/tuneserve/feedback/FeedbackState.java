package io.tuneserve.feedback;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import java.util.TreeMap;

/**
 * A model's feedback so far: how many examples the feedback dataset holds, those that arrived since
 * the last continual job started (by label), and that job.
 *
 * @param job the id of the continual job started last, or null
 * @param firstNewAtMillis when the first example since the last job arrived (epoch millis), or 0
 * @param lastJobAtMillis when the last continual job started, or 0
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FeedbackState(
    @JsonProperty("examples") long examples,
    @JsonProperty("new_per_class") Map<String, Integer> newPerClass,
    @JsonProperty("job") String job,
    @JsonProperty("first_new_at_millis") long firstNewAtMillis,
    @JsonProperty("last_job_at_millis") long lastJobAtMillis) {

  public static final FeedbackState NONE = new FeedbackState(0, Map.of(), null, 0, 0);

  public FeedbackState {
    newPerClass = newPerClass == null ? Map.of() : Map.copyOf(new TreeMap<>(newPerClass));
  }

  @JsonIgnore
  public int newExamples() {
    return newPerClass.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** One more example labelled {@code label}, arrived at {@code nowMillis}. */
  public FeedbackState added(String label, long nowMillis) {
    Map<String, Integer> counts = new TreeMap<>(newPerClass);
    counts.merge(label, 1, Integer::sum);
    long first = newPerClass.isEmpty() ? nowMillis : firstNewAtMillis;
    return new FeedbackState(examples + 1, counts, job, first, lastJobAtMillis);
  }

  /**
   * A job started at {@code nowMillis} on the feedback so far: what arrives next counts towards the
   * next job.
   */
  public FeedbackState jobStarted(String id, long nowMillis) {
    return new FeedbackState(examples, Map.of(), id, 0, nowMillis);
  }
}
