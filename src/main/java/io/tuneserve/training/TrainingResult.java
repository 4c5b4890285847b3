package io.tuneserve.training;

/**
 * What a trainer produced, written to its output directory.
 *
 * @param epochsRun epochs trained before the last one or early stopping
 * @param validationAccuracy on the held-out examples of the best epoch; NaN when none were held out
 * @param evaluation the best epoch's confusion matrix on the held-out examples; null when none were
 *     held out
 */
public record TrainingResult(
    int epochsRun, double trainAccuracy, double validationAccuracy, Evaluation evaluation) {}
