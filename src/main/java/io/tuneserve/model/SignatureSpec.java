package io.tuneserve.model;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** A named signature of a loaded model, read from the model itself; tensors sorted by name. */
public record SignatureSpec(
    String key,
    String methodName,
    Map<String, TensorSpec> inputs,
    Map<String, TensorSpec> outputs) {

  public static final String DEFAULT_KEY = "serving_default";

  public SignatureSpec {
    inputs = Collections.unmodifiableMap(new TreeMap<>(inputs));
    outputs = Collections.unmodifiableMap(new TreeMap<>(outputs));
  }

  /** The named input, or an invalid-argument error that lists the inputs there are. */
  public TensorSpec input(String name) {
    TensorSpec spec = inputs.get(name);
    if (spec == null) {
      throw ServingException.invalid(
          "unknown input '" + name + "'; signature " + key + " takes " + inputs.keySet());
    }
    return spec;
  }

  /** The first input or output whose element type the server cannot carry, if any. */
  public java.util.Optional<TensorSpec> unsupportedTensor() {
    return java.util.stream.Stream.concat(inputs.values().stream(), outputs.values().stream())
        .filter(t -> t.dtype() == null)
        .findFirst();
  }

  /** True when every input and output can be stacked along a leading batch dimension. */
  public boolean isBatchable() {
    return !inputs.isEmpty()
        && inputs.values().stream().allMatch(TensorSpec::hasBatchDimension)
        && outputs.values().stream().allMatch(TensorSpec::hasBatchDimension);
  }
}
