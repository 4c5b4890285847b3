package io.tuneserve.training;

/**
 * What a job is asked to do.
 *
 * @param baseVersion the base model's version, or null for its newest available one
 */
public record JobSpec(
    String baseModel,
    Long baseVersion,
    String targetModel,
    Strategy strategy,
    Hyperparameters hyperparameters) {}
