package io.tuneserve.registry;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How one version is doing on one node.
 *
 * @param state LOADING, AVAILABLE, UNLOADING, FAILED (the version did not load) or REFUSED (its
 *     files did not match the registered sha256, so it was not installed)
 * @param error why, for FAILED and REFUSED
 */
public record NodeVersionState(
    @JsonProperty("node") String node,
    @JsonProperty("model") String model,
    @JsonProperty("version") long version,
    @JsonProperty("state") String state,
    @JsonProperty("error") String error,
    @JsonProperty("at") String at) {

  public static final String REFUSED = "REFUSED";
}
