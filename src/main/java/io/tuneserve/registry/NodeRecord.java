package io.tuneserve.registry;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A node of the cluster as the others see it.
 *
 * @param http the base URL of its HTTP API
 * @param member its Hazelcast member address
 */
public record NodeRecord(
    @JsonProperty("id") String id,
    @JsonProperty("http") String http,
    @JsonProperty("member") String member,
    @JsonProperty("joined_at") String joinedAt) {}
