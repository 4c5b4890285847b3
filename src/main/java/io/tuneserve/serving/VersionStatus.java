package io.tuneserve.serving;

/**
 * A snapshot of one version's state for status APIs.
 *
 * @param lineage the JSON a fine-tuning job recorded about the version's origin, or null
 * @param maxBatchSize the most rows one batch of the version holds (the configured largest batch,
 *     or the warm-up's cap), 0 when it is not available or not batched
 */
public record VersionStatus(
    long version, VersionState state, String error, String lineage, int maxBatchSize) {}
