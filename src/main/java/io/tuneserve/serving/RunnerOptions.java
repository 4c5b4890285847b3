package io.tuneserve.serving;

import io.tuneserve.batching.BatchingOptions;
import java.time.Duration;

/**
 * How a version is run: batched with these options, or one at a time; and how long its warm-up may
 * spend running batch sizes beyond the first (see {@link WarmUp}).
 */
public record RunnerOptions(boolean batching, BatchingOptions batchingOptions, Duration warmUp) {}
