package io.tuneserve.training;

import java.nio.file.Path;

/**
 * Adapts a base model version to new classes and writes the result as a SavedModel. Implementations
 * own the deep-learning runtime; this interface knows nothing of it.
 */
public interface Trainer {

  /**
   * Trains and exports.
   *
   * @param baseVersion the base model's version directory
   * @param featureSignature the base signature that gives the CNN codes
   * @param featureOutput that signature's output holding them
   * @param output where to write the new SavedModel (must not exist)
   * @throws TrainingCancelledException when {@code progress} reports the job cancelled
   * @throws io.tuneserve.model.ServingException for data the base model cannot take
   */
  TrainingResult train(
      Path baseVersion,
      String featureSignature,
      String featureOutput,
      LabelledExamples examples,
      Hyperparameters hyperparameters,
      Path output,
      TrainingProgress progress);
}
