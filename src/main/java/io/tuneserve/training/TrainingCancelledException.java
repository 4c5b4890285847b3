package io.tuneserve.training;

/** A trainer noticed that its job was cancelled and stopped. */
public class TrainingCancelledException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TrainingCancelledException() {
    super("cancelled");
  }
}
