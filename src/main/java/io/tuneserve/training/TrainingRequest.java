package io.tuneserve.training;

import io.tuneserve.model.FeatureLayers;
import io.tuneserve.model.ServingException;
import java.nio.file.Path;

/**
 * Everything a {@link Trainer} needs for one job.
 *
 * @param baseVersion the base model's version directory
 * @param layers where the base's CNN codes come from: the signature that gives them, and the layers
 *     it is made of when the base's settings name them
 * @param topOutput that signature's output of top-layer CNN codes
 * @param earlierOutput that signature's output from an earlier block, or null
 * @param output where to write the new SavedModel (must not exist)
 * @param headOf when set, a linear classifier is written as a head-only version over this base
 *     model version instead of a whole SavedModel
 * @param validation examples to judge each epoch by, labelled with the training classes; null to
 *     hold out {@code validation_fraction} of {@code examples} instead
 * @param test examples the final classifier is evaluated on once, or null
 * @param augmentation how the training images are varied while training
 */
public record TrainingRequest(
    Path baseVersion,
    FeatureLayers layers,
    String topOutput,
    String earlierOutput,
    Strategy strategy,
    LabelledExamples examples,
    Hyperparameters hyperparameters,
    Path output,
    HeadReference headOf,
    LabelledExamples validation,
    LabelledExamples test,
    Augmentation augmentation) {

  public TrainingRequest {
    java.util.Objects.requireNonNull(augmentation, "augmentation");
  }

  /** A request that holds out part of {@code examples} for validation and has no test set. */
  public TrainingRequest(
      Path baseVersion,
      FeatureLayers layers,
      String topOutput,
      String earlierOutput,
      Strategy strategy,
      LabelledExamples examples,
      Hyperparameters hyperparameters,
      Path output,
      HeadReference headOf) {
    this(
        baseVersion,
        layers,
        topOutput,
        earlierOutput,
        strategy,
        examples,
        hyperparameters,
        output,
        headOf,
        null,
        null,
        Augmentation.NONE);
  }

  /** The model version a head-only result refers to. */
  public record HeadReference(String model, long version) {}

  /** The same request with another strategy and hyperparameters. */
  public TrainingRequest with(Strategy other, Hyperparameters changed) {
    return new TrainingRequest(
        baseVersion,
        layers,
        topOutput,
        earlierOutput,
        other,
        examples,
        changed,
        output,
        headOf,
        validation,
        test,
        augmentation);
  }

  /**
   * The same request as a quick trial judges it: without validation and test sets (part of the
   * examples is held out) and without augmentation, like the linear probes it is compared with.
   */
  public TrainingRequest forTrial() {
    return new TrainingRequest(
        baseVersion,
        layers,
        topOutput,
        earlierOutput,
        strategy,
        examples,
        hyperparameters,
        output,
        headOf);
  }

  /**
   * The examples to train on and those to judge each epoch by: the validation set when there is
   * one, else {@code validation_fraction} of the examples held out by their content, the same in
   * every job that has them.
   */
  public LabelledExamples.Split split() {
    return validation != null
        ? new LabelledExamples.Split(examples, validation)
        : examples.heldOutByContent(hyperparameters.validationFraction());
  }

  /** The base signature that gives the CNN codes. */
  public String featureSignature() {
    return layers.signature();
  }

  /** The output the strategy's new classifier sits on. */
  public String trainedOutput() {
    return outputFor(strategy, topOutput, earlierOutput);
  }

  /** The one rule: the earlier layer for {@link Strategy#EARLIER_LAYER_FEATURES}, else the top. */
  public static String outputFor(Strategy strategy, String topOutput, String earlierOutput) {
    if (strategy != Strategy.EARLIER_LAYER_FEATURES) {
      return topOutput;
    }
    if (earlierOutput == null) {
      throw ServingException.invalid(
          "the base model's model.yaml names no features.earlier_output to train on");
    }
    return earlierOutput;
  }
}
