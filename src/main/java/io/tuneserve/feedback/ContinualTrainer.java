package io.tuneserve.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Starts a model's continual job once its settings say the new feedback is enough: a candidate
 * fine-tuned from the current stable version on the model's dataset plus its feedback. At most one
 * such job per model runs at a time, however much feedback arrives on however many nodes.
 */
public final class ContinualTrainer {
  private static final Logger LOG = Logger.getLogger(ContinualTrainer.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();

  private final FeedbackStore store;
  private final Function<JsonNode, String> submit;
  private final Predicate<String> jobActive;

  /**
   * @param submit queues a job request, returning its id
   * @param jobActive whether the job of an id is queued or running
   */
  public ContinualTrainer(
      FeedbackStore store, Function<JsonNode, String> submit, Predicate<String> jobActive) {
    this.store = store;
    this.submit = submit;
    this.jobActive = jobActive;
  }

  /** The job request a model's continual settings make. */
  public static ObjectNode jobRequest(String model, ContinualPolicy policy) {
    ObjectNode body = JSON.valueToTree(policy.job());
    if (!body.hasNonNull("base_model")) {
      body.put("base_model", model);
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
   * Starts the model's next continual job if its new feedback is enough and none is active; the id
   * of the job started, if one was.
   */
  public Optional<String> maybeStart(String model) {
    Optional<ContinualPolicy> policy = store.policy(model);
    if (policy.isEmpty() || !policy.get().ready(store.state(model))) {
      return Optional.empty();
    }
    String[] started = new String[1];
    store.update(
        model,
        state -> {
          if (!policy.get().ready(state) || (state.job() != null && jobActive.test(state.job()))) {
            return state;
          }
          try {
            started[0] = submit.apply(jobRequest(model, policy.get()));
          } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "the continual job of " + model + " could not start", e);
            return state;
          }
          return state.jobStarted(started[0]);
        });
    if (started[0] != null) {
      LOG.info(() -> "feedback started continual job " + started[0] + " for " + model);
    }
    return Optional.ofNullable(started[0]);
  }
}
