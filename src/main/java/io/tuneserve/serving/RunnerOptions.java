package io.tuneserve.serving;

import io.tuneserve.batching.BatchingOptions;

/** How a version's requests are executed: batched with these options, or one at a time. */
public record RunnerOptions(boolean batching, BatchingOptions batchingOptions) {}
