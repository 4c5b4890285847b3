package io.tuneserve.feedback;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.UnaryOperator;

/** Models' continual settings, feedback bookkeeping and recent predictions, cluster-wide. */
public interface FeedbackStore {
  /** A model's continual settings, if it has any: read from this node. */
  Optional<ContinualPolicy> policy(String model);

  /** Every model's continual settings, read from this node. */
  Map<String, ContinualPolicy> policies();

  void setPolicy(String model, ContinualPolicy policy);

  boolean removePolicy(String model);

  /** Records that the model's feedback holds an image of this sha256; false when it already did. */
  boolean addImage(String model, String sha256);

  /** Forgets an image recorded by {@link #addImage}, as its example could not be stored. */
  void removeImage(String model, String sha256);

  FeedbackState state(String model);

  /** Changes a model's feedback state under its cluster-wide lock; returns the new state. */
  FeedbackState update(String model, UnaryOperator<FeedbackState> change);

  /**
   * Holds a prediction's image for {@code ttl}, by id; completes once every node can find it, so
   * the answer that names the id goes out only then.
   */
  CompletionStage<Void> keepPrediction(String id, Prediction prediction, Duration ttl);

  Optional<Prediction> prediction(String id);

  /** A prediction the server answered: which model and version, of which image. */
  record Prediction(String model, long version, byte[] image) {}
}
