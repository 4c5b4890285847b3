package io.tuneserve.training;

/** What a trainer reports while it runs, and how it learns that it should stop. */
public interface TrainingProgress {
  void phase(Phase phase);

  /** What {@link Strategy#AUTO} chose, and why. */
  default void decided(StrategyDecision decision) {}

  void epoch(EpochMetrics metrics, double fractionDone);

  /** True once the job was cancelled; the trainer stops at the next step and throws. */
  boolean cancelled();
}
