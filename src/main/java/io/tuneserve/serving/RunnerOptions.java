package io.tuneserve.serving;

import io.tuneserve.batching.BatchingOptions;
import java.time.Duration;

/**
 * How a version is run: batched with these options, or one at a time; how long its warm-up may
 * spend beyond a batch of one, and whether the warm-up may lower the largest batch to the size that
 * runs fastest per image (see {@link WarmUp}).
 */
public record RunnerOptions(
    boolean batching,
    BatchingOptions batchingOptions,
    Duration warmUp,
    boolean capAtFastestBatch) {}
