package io.tuneserve.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.model.ServingException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** When feedback starts a continual job: counts, counts per class, the schedule, one at a time. */
class ContinualTrainerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Feedback bookkeeping in memory. */
  private static final class MemoryStore implements FeedbackStore {
    final Map<String, ContinualPolicy> policies = new HashMap<>();
    final Map<String, FeedbackState> states = new HashMap<>();

    @Override
    public Optional<ContinualPolicy> policy(String model) {
      return Optional.ofNullable(policies.get(model));
    }

    @Override
    public Map<String, ContinualPolicy> policies() {
      return Map.copyOf(policies);
    }

    @Override
    public void setPolicy(String model, ContinualPolicy policy) {
      policies.put(model, policy);
    }

    @Override
    public boolean removePolicy(String model) {
      return policies.remove(model) != null;
    }

    @Override
    public boolean addImage(String model, String sha256) {
      return true;
    }

    @Override
    public void removeImage(String model, String sha256) {}

    @Override
    public FeedbackState state(String model) {
      return states.getOrDefault(model, FeedbackState.NONE);
    }

    @Override
    public synchronized FeedbackState update(String model, UnaryOperator<FeedbackState> change) {
      FeedbackState after = change.apply(state(model));
      states.put(model, after);
      return after;
    }

    @Override
    public java.util.concurrent.CompletionStage<Void> keepPrediction(
        String id, Prediction prediction, Duration ttl) {
      return java.util.concurrent.CompletableFuture.completedFuture(null);
    }

    @Override
    public Optional<Prediction> prediction(String id) {
      return Optional.empty();
    }
  }

  /** A clock the test moves. */
  private static final class StepClock extends Clock {
    long millis = 1_000_000;

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  private final MemoryStore store = new MemoryStore();
  private final StepClock clock = new StepClock();
  private final List<JsonNode> submitted = new ArrayList<>();
  private final Set<String> active = new HashSet<>();
  private final ContinualTrainer trainer =
      new ContinualTrainer(
          store,
          body -> {
            submitted.add(body);
            String id = "job-" + submitted.size();
            active.add(id);
            return id;
          },
          active::contains,
          model -> model.equals("head-only") ? "pretrained" : model,
          clock);

  private static ContinualPolicy policy(String json) throws Exception {
    return ContinualPolicy.parse(JSON.readTree(json));
  }

  private Optional<String> feedback(String model, String label) {
    trainer.recordExample(model, label);
    return trainer.maybeStart(model);
  }

  @Test
  void enoughNewExamplesStartOneJobAndTheCountStartsAgain() throws Exception {
    store.setPolicy("m", policy("{\"min_new_examples\": 3, \"dataset\": \"base-data\"}"));
    assertThat(feedback("m", "a")).isEmpty();
    assertThat(feedback("m", "b")).isEmpty();
    assertThat(feedback("m", "a")).contains("job-1");
    JsonNode job = submitted.get(0);
    assertThat(job.get("target_model").asText()).isEqualTo("m");
    assertThat(job.get("base_model").asText()).isEqualTo("m");
    assertThat(job.get("publish_as").asText()).isEqualTo("candidate");
    assertThat(job.get("dataset").toString()).isEqualTo("[\"base-data\",\"m.feedback\"]");
    assertThat(store.state("m").newExamples()).isZero();
    assertThat(store.state("m").examples()).isEqualTo(3);

    // While the job runs, more feedback waits for it.
    for (int i = 0; i < 5; i++) {
      assertThat(feedback("m", "a")).isEmpty();
    }
    active.clear();
    assertThat(trainer.maybeStart("m")).contains("job-2");
    assertThat(submitted).hasSize(2);
  }

  @Test
  void aCountPerClassWaitsForEveryLabelWithNewFeedback() throws Exception {
    store.setPolicy("m", policy("{\"min_new_examples\": 1, \"min_new_per_class\": 2}"));
    assertThat(feedback("m", "a")).isEmpty();
    assertThat(feedback("m", "b")).isEmpty();
    assertThat(feedback("m", "a")).as("b has one").isEmpty();
    assertThat(feedback("m", "b")).contains("job-1");
  }

  @Test
  void theScheduleStartsAJobOnAnyNewFeedbackOnceItsPeriodHasPassed() throws Exception {
    store.setPolicy("m", policy("{\"min_new_examples\": 1000, \"every_seconds\": 60}"));
    assertThat(trainer.maybeStart("m")).as("no feedback, no job").isEmpty();
    clock.millis += 120_000;
    assertThat(trainer.maybeStart("m")).as("still no feedback").isEmpty();
    assertThat(feedback("m", "a")).as("the period counts from the first new example").isEmpty();
    clock.millis += 59_000;
    assertThat(trainer.maybeStart("m")).isEmpty();
    clock.millis += 1_000;
    assertThat(trainer.maybeStart("m")).contains("job-1");
    active.clear();

    // The next period counts from the job's start.
    clock.millis += 30_000;
    assertThat(feedback("m", "b")).isEmpty();
    clock.millis += 29_000;
    assertThat(trainer.maybeStart("m")).isEmpty();
    clock.millis += 1_000;
    assertThat(trainer.maybeStart("m")).contains("job-2");
  }

  @Test
  void aHeadOnlyModelRetrainsFromItsBaseUnlessTheSettingsNameOne() throws Exception {
    store.setPolicy("head-only", policy("{\"min_new_examples\": 1}"));
    assertThat(feedback("head-only", "a")).isPresent();
    assertThat(submitted.get(0).get("base_model").asText()).isEqualTo("pretrained");

    store.setPolicy(
        "head-only",
        policy(
            "{\"min_new_examples\": 1, \"job\": {\"base_model\": \"other\", \"strategy\": \"fine_tune\"}}"));
    active.clear();
    assertThat(feedback("head-only", "a")).isPresent();
    assertThat(submitted.get(1).get("base_model").asText()).isEqualTo("other");
    assertThat(submitted.get(1).get("strategy").asText()).isEqualTo("fine_tune");
  }

  @Test
  void aJobThatCannotStartLeavesTheFeedbackCounted() throws Exception {
    ContinualTrainer failing =
        new ContinualTrainer(
            store,
            body -> {
              throw ServingException.invalid("no dataset base-data");
            },
            id -> false,
            model -> model,
            clock);
    store.setPolicy("m", policy("{\"min_new_examples\": 1}"));
    failing.recordExample("m", "a");
    assertThat(failing.maybeStart("m")).isEmpty();
    assertThat(store.state("m").newExamples()).isEqualTo(1);
  }

  @Test
  void badSettingsAreRefusedNamingTheSetting() {
    for (String[] bad :
        new String[][] {
          {"[]", "must be a JSON object"},
          {"{\"every\": 3}", "unknown continual setting 'every'"},
          {"{\"every_seconds\": -1}", "'every_seconds' must be a number"},
          {"{\"min_new_examples\": 0}", "'min_new_examples' must be an integer of at least 1"},
          {"{\"min_new_examples\": 2.5}", "'min_new_examples' must be an integer"},
          {"{\"labels\": [\"\"]}", "'labels' must be a list of label names"},
          {"{\"keep_predictions\": \"yes\"}", "'keep_predictions' must be true or false"},
          {"{\"dataset\": 7}", "'dataset' must be the name of a dataset"},
          {"{\"job\": {\"target_model\": \"x\"}}", "its data and target are the model's"},
          {"{\"job\": 3}", "'job' must be an object"},
        }) {
      assertThatThrownBy(() -> ContinualPolicy.parse(JSON.readTree(bad[0])))
          .as(bad[0])
          .isInstanceOf(ServingException.class)
          .hasMessageContaining(bad[1]);
    }
  }
}
