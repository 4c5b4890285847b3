package io.tuneserve.batching;

/** A unit of work that can be batched with others: {@link #size()} rows of the batch dimension. */
public interface BatchTask {
  int size();
}
