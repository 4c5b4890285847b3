package io.tuneserve.serving;

import io.tuneserve.batching.BatchingOptions;
import java.time.Duration;

/**
 * How a version is run: batched with these options, or one at a time; how long its warm-up may
 * spend beyond a batch of one, and whether the warm-up may lower the largest batch to the size that
 * runs fastest per image (see {@link WarmUp}).
 */
public record RunnerOptions(
    boolean batching, BatchingOptions batchingOptions, Duration warmUp, boolean capAtFastestBatch) {

  /** These options with requests run one at a time (and nothing for the warm-up to time). */
  RunnerOptions unbatched() {
    return new RunnerOptions(false, batchingOptions, warmUp, false);
  }

  /** These options with the batching options given. */
  RunnerOptions withBatching(boolean enabled, BatchingOptions options) {
    return new RunnerOptions(enabled, options, warmUp, capAtFastestBatch);
  }
}
