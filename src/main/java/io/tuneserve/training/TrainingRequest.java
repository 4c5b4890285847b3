package io.tuneserve.training;

import java.nio.file.Path;

/**
 * Everything a {@link Trainer} needs for one job.
 *
 * @param baseVersion the base model's version directory
 * @param featureSignature the base signature that gives the CNN codes
 * @param featureOutput that signature's output the new classifier sits on
 * @param earlierFeatureOutput that signature's output from an earlier block, or null
 * @param output where to write the new SavedModel (must not exist)
 */
public record TrainingRequest(
    Path baseVersion,
    String featureSignature,
    String featureOutput,
    String earlierFeatureOutput,
    Strategy strategy,
    LabelledExamples examples,
    Hyperparameters hyperparameters,
    Path output) {

  /** The same request with another strategy and hyperparameters. */
  public TrainingRequest with(Strategy other, Hyperparameters changed) {
    return new TrainingRequest(
        baseVersion,
        featureSignature,
        featureOutput,
        earlierFeatureOutput,
        other,
        examples,
        changed,
        output);
  }
}
