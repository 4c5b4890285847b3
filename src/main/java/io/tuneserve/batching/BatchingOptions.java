package io.tuneserve.batching;

import java.time.Duration;

/**
 * How a queue forms batches.
 *
 * @param maxBatchSize a batch closes once its tasks hold this many rows
 * @param maxQueueDelay a batch closes when its oldest task has waited this long
 * @param maxQueuedTasks tasks waiting in the queue beyond which new ones are refused
 */
public record BatchingOptions(int maxBatchSize, Duration maxQueueDelay, int maxQueuedTasks) {
  public BatchingOptions {
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("max_batch_size must be at least 1, got " + maxBatchSize);
    }
    if (maxQueueDelay.isNegative()) {
      throw new IllegalArgumentException("max_queue_delay must not be negative");
    }
    if (maxQueuedTasks < 1) {
      throw new IllegalArgumentException(
          "max_queued_tasks must be at least 1, got " + maxQueuedTasks);
    }
  }

  /** These options with batches of at most {@code rows} rows. */
  public BatchingOptions withMaxBatchSize(int rows) {
    return new BatchingOptions(rows, maxQueueDelay, maxQueuedTasks);
  }
}
