package io.tuneserve.registry;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A model in the registry.
 *
 * @param settings the text of its model.yaml, the same on every node (empty: defaults)
 */
public record ModelRecord(
    @JsonProperty("name") String name, @JsonProperty("settings") String settings) {}
