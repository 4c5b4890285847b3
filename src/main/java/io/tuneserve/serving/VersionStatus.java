package io.tuneserve.serving;

/** A snapshot of one version's state for status APIs. */
public record VersionStatus(long version, VersionState state, String error) {}
