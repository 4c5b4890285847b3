package io.tuneserve.serving;

import io.tuneserve.model.DType;
import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.repository.ModelSettings;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Runs a freshly loaded version once before it takes traffic, so the first request does not pay for
 * TensorFlow's lazy initialisation. Uses zeros shaped as the default signature declares (a batch of
 * one; unknown image dimensions from the model's image settings).
 */
final class WarmUp {
  private WarmUp() {}

  /** Runs the warm-up; returns false when the signature's inputs cannot be synthesised. */
  static boolean run(LoadedModel model, ModelSettings settings) {
    SignatureSpec signature = model.signatures().get(SignatureSpec.DEFAULT_KEY);
    if (signature == null || signature.unsupportedTensor().isPresent()) {
      return false;
    }
    Map<String, TensorData> inputs = new HashMap<>();
    for (TensorSpec spec : signature.inputs().values()) {
      Optional<long[]> shape = concreteShape(spec, settings.image());
      if (shape.isEmpty() || spec.dtype() == DType.BYTES) {
        return false;
      }
      long[] dims = shape.get();
      int bytes = Math.toIntExact(TensorData.elementCount(dims) * spec.dtype().elementSize());
      inputs.put(spec.name(), TensorData.ofRaw(spec.dtype(), dims, new byte[bytes]));
    }
    model.run(signature.key(), inputs, signature.outputs().keySet());
    return true;
  }

  private static Optional<long[]> concreteShape(TensorSpec spec, ModelSettings.ImageInput image) {
    long[] shape = spec.shape();
    if (shape == null) {
      return Optional.empty();
    }
    boolean isImage = image != null && spec.name().equals(image.input()) && shape.length == 4;
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] >= 0) {
        continue;
      }
      if (i == 0) {
        shape[i] = 1;
      } else if (isImage && i == 1) {
        shape[i] = image.height();
      } else if (isImage && i == 2) {
        shape[i] = image.width();
      } else {
        return Optional.empty();
      }
    }
    return Optional.of(shape);
  }
}
