package io.tuneserve.serving;

import io.tuneserve.batching.Clock;
import io.tuneserve.model.DType;
import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.repository.ModelSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs a freshly loaded version before it takes traffic, so requests do not pay for TensorFlow's
 * lazy initialisation: its kernels prepare themselves for each input shape the first time they see
 * it (several times the steady run time). Uses zeros shaped as the default signature declares
 * (unknown image dimensions from the model's image settings): a batch of one, then, for a batched
 * version, every batch size up to the largest batch, smallest first, as long as the time allowed
 * lasts.
 */
final class WarmUp {
  private WarmUp() {}

  /**
   * Runs the warm-up; returns the batch sizes run, none when the signature's inputs cannot be
   * synthesised.
   */
  static List<Integer> run(
      LoadedModel model,
      ModelSettings settings,
      int largestBatch,
      Duration timeAllowed,
      Clock clock) {
    long deadline = clock.nanoTime() + timeAllowed.toNanos();
    SignatureSpec signature = model.signatures().get(SignatureSpec.DEFAULT_KEY);
    if (signature == null || signature.unsupportedTensor().isPresent()) {
      return List.of();
    }
    Map<String, long[]> shapes = new HashMap<>();
    boolean batchDimension = true;
    for (TensorSpec spec : signature.inputs().values()) {
      Optional<long[]> shape = concreteShape(spec, settings.image());
      if (shape.isEmpty() || spec.dtype() == DType.BYTES) {
        return List.of();
      }
      batchDimension &= spec.hasBatchDimension();
      shapes.put(spec.name(), shape.get());
    }
    List<Integer> sizes = new ArrayList<>();
    int largest = batchDimension ? largestBatch : 1;
    for (int rows = 1; rows <= largest; rows++) {
      if (rows > 1 && clock.nanoTime() >= deadline) {
        break;
      }
      model.run(
          signature.key(),
          zeros(signature, shapes, batchDimension ? rows : -1),
          signature.outputs().keySet());
      sizes.add(rows);
    }
    return sizes;
  }

  /** Zeros for every input; {@code rows} replaces the first dimension unless it is negative. */
  private static Map<String, TensorData> zeros(
      SignatureSpec signature, Map<String, long[]> shapes, int rows) {
    Map<String, TensorData> inputs = new HashMap<>();
    for (TensorSpec spec : signature.inputs().values()) {
      long[] dims = shapes.get(spec.name()).clone();
      if (rows >= 0) {
        dims[0] = rows;
      }
      int bytes = Math.toIntExact(TensorData.elementCount(dims) * spec.dtype().elementSize());
      inputs.put(spec.name(), TensorData.ofRaw(spec.dtype(), dims, new byte[bytes]));
    }
    return inputs;
  }

  private static Optional<long[]> concreteShape(TensorSpec spec, ModelSettings.ImageInput image) {
    long[] shape = spec.shape();
    if (shape == null) {
      return Optional.empty();
    }
    shape = shape.clone();
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
