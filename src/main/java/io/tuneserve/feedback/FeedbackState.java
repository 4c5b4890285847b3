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
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FeedbackState(
    @JsonProperty("examples") long examples,
    @JsonProperty("new_per_class") Map<String, Integer> newPerClass,
    @JsonProperty("job") String job) {

  public static final FeedbackState NONE = new FeedbackState(0, Map.of(), null);

  public FeedbackState {
    newPerClass = newPerClass == null ? Map.of() : Map.copyOf(new TreeMap<>(newPerClass));
  }

  @JsonIgnore
  public int newExamples() {
    return newPerClass.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** One more example labelled {@code label}. */
  public FeedbackState added(String label) {
    Map<String, Integer> counts = new TreeMap<>(newPerClass);
    counts.merge(label, 1, Integer::sum);
    return new FeedbackState(examples + 1, counts, job);
  }

  /** A job started on the feedback so far: what arrives next counts towards the next job. */
  public FeedbackState jobStarted(String id) {
    return new FeedbackState(examples, Map.of(), id);
  }
}
