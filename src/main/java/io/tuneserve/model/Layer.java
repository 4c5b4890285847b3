package io.tuneserve.model;

/**
 * A layer of a model whose output can serve as features: its last tensor.
 *
 * @param name the layer's name (its name scope in the graph, without the scopes of the function
 *     calls that held it)
 * @param tensor the graph tensor of its output
 * @param kind what it computes: {@code conv}, {@code dense}, {@code activation}, {@code pooling},
 *     {@code global_pooling}, {@code flatten}, {@code batch_norm}, {@code add}, {@code concat},
 *     {@code softmax}
 * @param op the TensorFlow op that gives the output
 * @param shape the output's static shape ({@code -1} = unknown); null when its rank is unknown
 * @param distance ops between this output and the model's output (0 = the output itself)
 */
@SuppressWarnings("ArrayRecordComponent") // a description for clients, never compared
public record Layer(
    String name, String tensor, String kind, String op, long[] shape, int distance) {}
