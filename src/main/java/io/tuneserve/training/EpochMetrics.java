package io.tuneserve.training;

/**
 * The figures of one epoch.
 *
 * @param validationAccuracy NaN when no examples were held out
 */
public record EpochMetrics(
    int epoch, double loss, double trainAccuracy, double validationAccuracy, double learningRate) {}
