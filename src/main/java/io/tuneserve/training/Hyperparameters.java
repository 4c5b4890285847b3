package io.tuneserve.training;

import io.tuneserve.model.ServingException;

/**
 * Settings of one training job.
 *
 * @param epochs passes over the training examples at most
 * @param batchSize examples per step
 * @param learningRate step size of the new classifier
 * @param baseLearningRate step size of the pretrained weights being fine-tuned (smaller: they are
 *     already good and should not be distorted while the new classifier is still random)
 * @param frozenBlocks blocks of the pretrained network, from the input, that fine-tuning leaves
 *     unchanged
 * @param headEpochs epochs that train only the new classifier before the network is unfrozen
 * @param l2 weight of the L2 penalty on the classifier's weights
 * @param validationFraction share of the examples held out to measure accuracy
 * @param patience epochs without a better validation accuracy before training stops early
 * @param seed makes the initialisation (and the strategy probes' splits) repeatable; the validation
 *     split is chosen by content
 * @param classifier the loss of the new classifier
 */
public record Hyperparameters(
    int epochs,
    int batchSize,
    double learningRate,
    double baseLearningRate,
    int frozenBlocks,
    int headEpochs,
    double l2,
    double validationFraction,
    int patience,
    long seed,
    ClassifierLoss classifier) {

  public static final Hyperparameters DEFAULTS =
      new Hyperparameters(30, 32, 0.05, 0.005, 1, 0, 1e-4, 0.2, 5, 1, ClassifierLoss.SOFTMAX);

  /** Checks the ranges; a job with absurd settings is refused before it starts. */
  public Hyperparameters {
    require(epochs >= 1 && epochs <= 10_000, "epochs must be 1..10000, got " + epochs);
    require(batchSize >= 1 && batchSize <= 4096, "batch_size must be 1..4096, got " + batchSize);
    require(
        learningRate > 0 && learningRate <= 10,
        "learning_rate must be in (0, 10], got " + learningRate);
    require(
        baseLearningRate > 0 && baseLearningRate <= 10,
        "base_learning_rate must be in (0, 10], got " + baseLearningRate);
    require(frozenBlocks >= 0, "frozen_blocks must not be negative, got " + frozenBlocks);
    require(
        headEpochs >= 0 && headEpochs <= epochs,
        "head_epochs must be 0..epochs, got " + headEpochs);
    require(l2 >= 0 && l2 <= 10, "l2 must be in [0, 10], got " + l2);
    require(
        validationFraction >= 0 && validationFraction < 1,
        "validation_fraction must be in [0, 1), got " + validationFraction);
    require(classifier != null, "classifier must be softmax or svm");
    require(patience >= 1, "patience must be at least 1, got " + patience);
  }

  /** These settings with another seed (another initialisation, and probe split). */
  public Hyperparameters withSeed(long other) {
    return new Hyperparameters(
        epochs,
        batchSize,
        learningRate,
        baseLearningRate,
        frozenBlocks,
        headEpochs,
        l2,
        validationFraction,
        patience,
        other,
        classifier);
  }

  /** These settings with another number of frozen blocks. */
  public Hyperparameters withFrozenBlocks(int blocks) {
    return new Hyperparameters(
        epochs,
        batchSize,
        learningRate,
        baseLearningRate,
        blocks,
        headEpochs,
        l2,
        validationFraction,
        patience,
        seed,
        classifier);
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw ServingException.invalid(message);
    }
  }
}
