package io.tuneserve.training;

/** What a trainer reports while it runs, and how it learns that it should stop. */
public interface TrainingProgress {
  void phase(Phase phase);

  /** What {@link Strategy#AUTO} chose, and why. */
  default void decided(StrategyDecision decision) {}

  void epoch(EpochMetrics metrics, double fractionDone);

  /** Called after every training step with its duration; may pause to let inference run. */
  default void stepDone(long nanos) {}

  /** True once the job was cancelled; the trainer stops at the next step and throws. */
  boolean cancelled();
}
