package io.tuneserve.serving;

/**
 * A snapshot of one version's state for status APIs.
 *
 * @param lineage the JSON a fine-tuning job recorded about the version's origin, or null
 */
public record VersionStatus(long version, VersionState state, String error, String lineage) {}
