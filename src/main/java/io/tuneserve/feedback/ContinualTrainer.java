package io.tuneserve.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Starts a model's continual job once its settings say the new feedback is enough: a candidate
 * fine-tuned from the current stable version on the model's dataset plus its feedback. At most one
 * such job per model runs at a time, however much feedback arrives on however many nodes.
 */
public final class ContinualTrainer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ContinualTrainer.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();

  private final FeedbackStore store;
  private final Function<JsonNode, String> submit;
  private final Predicate<String> jobActive;
  private final UnaryOperator<String> baseFor;
  private final Clock clock;
  private final ScheduledExecutorService ticker =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread thread = new Thread(r, "tuneserve-continual");
            thread.setDaemon(true);
            return thread;
          });

  /**
   * @param submit queues a job request, returning its id
   * @param jobActive whether the job of an id is queued or running
   * @param baseFor the model a job retraining a model's stable version starts from, when its
   *     settings name no base_model
   */
  public ContinualTrainer(
      FeedbackStore store,
      Function<JsonNode, String> submit,
      Predicate<String> jobActive,
      UnaryOperator<String> baseFor,
      Clock clock) {
    this.store = store;
    this.submit = submit;
    this.jobActive = jobActive;
    this.baseFor = baseFor;
    this.clock = clock;
  }

  /** Checks every {@code periodMillis} whether a model's schedule has come due. */
  public void start(long periodMillis) {
    ticker.scheduleWithFixedDelay(this::tick, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
  }

  private void tick() {
    for (String model : store.policies().keySet()) {
      try {
        maybeStart(model);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "the continual settings of " + model + " could not be checked", e);
      }
    }
  }

  /** Counts one new feedback example of a model, labelled {@code label}; its state after. */
  public FeedbackState recordExample(String model, String label) {
    return store.update(model, before -> before.added(label, clock.millis()));
  }

  /** The job request a model's continual settings make. */
  ObjectNode jobRequest(String model, ContinualPolicy policy) {
    ObjectNode body = JSON.valueToTree(policy.job());
    if (!body.hasNonNull("base_model")) {
      body.put("base_model", baseFor.apply(model));
    }
    body.put("target_model", model);
    ArrayNode datasets = body.putArray("dataset");
    if (policy.dataset() != null) {
      datasets.add(policy.dataset());
    }
    datasets.add(ContinualPolicy.feedbackDataset(model));
    body.put("publish_as", "candidate");
    return body;
  }

  /**
   * Starts the model's next continual job if its new feedback is enough (or its schedule is due)
   * and none is active; the id of the job started, if one was.
   */
  public Optional<String> maybeStart(String model) {
    Optional<ContinualPolicy> policy = store.policy(model);
    if (policy.isEmpty() || !policy.get().ready(store.state(model), clock.millis())) {
      return Optional.empty();
    }
    String[] started = new String[1];
    store.update(
        model,
        state -> {
          long now = clock.millis();
          if (!policy.get().ready(state, now)
              || (state.job() != null && jobActive.test(state.job()))) {
            return state;
          }
          try {
            started[0] = submit.apply(jobRequest(model, policy.get()));
          } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "the continual job of " + model + " could not start", e);
            return state;
          }
          return state.jobStarted(started[0], now);
        });
    if (started[0] != null) {
      LOG.info(() -> "feedback started continual job " + started[0] + " for " + model);
    }
    return Optional.ofNullable(started[0]);
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
