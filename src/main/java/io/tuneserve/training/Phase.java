package io.tuneserve.training;

/** The steps of a running job. */
public enum Phase {
  /** Loading the base model and computing what training needs (e.g. the CNN codes). */
  PREPARING,
  TRAINING,
  /** Measuring the trained model on the held-out examples. */
  EVALUATING,
  /** Writing the new version and loading it. */
  PUBLISHING
}
