package io.tuneserve.training;

/**
 * Adapts a base model version to new classes and writes the result as a SavedModel. Implementations
 * own the deep-learning runtime; this interface knows nothing of it.
 */
public interface Trainer {

  /**
   * Trains and exports to {@code request.output()}.
   *
   * @throws TrainingCancelledException when {@code progress} reports the job cancelled
   * @throws io.tuneserve.model.ServingException for data or a base model the strategy cannot use
   */
  TrainingResult train(TrainingRequest request, TrainingProgress progress);
}
