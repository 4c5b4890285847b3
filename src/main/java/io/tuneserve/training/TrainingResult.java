package io.tuneserve.training;

import java.util.List;

/**
 * What a trainer produced, written to its output directory.
 *
 * @param epochsRun epochs trained before the last one or early stopping
 * @param validationAccuracy on the held-out examples of the best epoch; NaN when none were held out
 * @param evaluations the final classifier's confusion matrices: on the held-out examples ({@code
 *     validation}) and on the test set ({@code test}), each where there were such examples
 */
public record TrainingResult(
    int epochsRun, double trainAccuracy, double validationAccuracy, List<Evaluation> evaluations) {

  public TrainingResult {
    evaluations = List.copyOf(evaluations);
  }

  /** The same result with one more evaluation. */
  public TrainingResult with(Evaluation evaluation) {
    List<Evaluation> all = new java.util.ArrayList<>(evaluations);
    all.add(evaluation);
    return new TrainingResult(epochsRun, trainAccuracy, validationAccuracy, all);
  }

  /** The evaluation of one split, or null. */
  public Evaluation evaluation(String split) {
    return evaluations.stream().filter(e -> e.split().equals(split)).findFirst().orElse(null);
  }
}
