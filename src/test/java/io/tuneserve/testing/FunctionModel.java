package io.tuneserve.testing;

import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/** A model of one signature whose run is a plain function of its inputs, for unit tests. */
public final class FunctionModel implements LoadedModel {
  private final SignatureSpec signature;
  private final UnaryOperator<Map<String, TensorData>> function;

  public FunctionModel(SignatureSpec signature, UnaryOperator<Map<String, TensorData>> function) {
    this.signature = signature;
    this.function = function;
  }

  @Override
  public Map<String, SignatureSpec> signatures() {
    return Map.of(signature.key(), signature);
  }

  @Override
  public Map<String, TensorData> run(
      String signatureKey, Map<String, TensorData> inputs, Set<String> outputs) {
    return function.apply(inputs);
  }

  @Override
  public long sizeBytes() {
    return 0;
  }

  @Override
  public void close() {}
}
