package io.tuneserve.training;

/**
 * What a job is asked to do.
 *
 * @param baseVersion the base model's version, or null for its newest available one
 * @param augmentation how training images are varied; null until chosen by the size of the data
 *     ({@link Augmentation#forJob})
 * @param publishAs the label the new version is published under: {@code stable} (what unlabelled
 *     requests get) or another, such as {@code candidate}
 */
public record JobSpec(
    String baseModel,
    Long baseVersion,
    String targetModel,
    Strategy strategy,
    Hyperparameters hyperparameters,
    Augmentation augmentation,
    String publishAs) {

  /** The same job with its augmentation chosen. */
  public JobSpec withAugmentation(Augmentation chosen) {
    return new JobSpec(
        baseModel, baseVersion, targetModel, strategy, hyperparameters, chosen, publishAs);
  }
}
