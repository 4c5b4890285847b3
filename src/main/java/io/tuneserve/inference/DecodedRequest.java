package io.tuneserve.inference;

import io.tuneserve.model.TensorData;
import java.util.Map;
import java.util.Set;

/**
 * A request in the server's terms, decoded from some wire format.
 *
 * @param outputs the outputs to return; empty means all of the signature's outputs
 */
public record DecodedRequest(
    String signature, Map<String, TensorData> inputs, Set<String> outputs) {
  public DecodedRequest {
    inputs = Map.copyOf(inputs);
    outputs = Set.copyOf(outputs);
  }
}
