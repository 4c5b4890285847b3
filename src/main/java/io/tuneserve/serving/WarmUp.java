package io.tuneserve.serving;

import io.tuneserve.batching.Clock;
import io.tuneserve.model.DType;
import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.repository.ModelSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs a freshly loaded version before it takes traffic, so requests do not pay for TensorFlow's
 * lazy initialisation: its kernels prepare themselves for each input shape the first time they see
 * it (several times the steady run time). Uses zeros shaped as the default signature declares
 * (unknown image dimensions from the model's image settings).
 *
 * <p>A batched version is first timed at batch sizes 1, 2, 4, ... up to the largest batch (each
 * size while its runs fit in the time left): on a CPU, a network whose activations outgrow the
 * caches (large images) runs no faster, or slower, per image in larger batches, so its batches are
 * capped at the largest size that was within {@link #SAME_SPEED} of the fastest, once a second
 * timing of the sizes from there up has confirmed it. Then every batch size up to that cap is run
 * once, smallest first, as long as the time allowed lasts.
 */
final class WarmUp {
  /** Times per image within this factor of the fastest count as equally fast. */
  static final double SAME_SPEED = 1.10;

  /** Timed runs per batch size, after the one that prepares the kernels; the fastest counts. */
  private static final int TIMED_RUNS = 3;

  /** Untimed runs before the first size is timed. */
  private static final int PREPARING_RUNS_FIRST = 3;

  private WarmUp() {}

  /**
   * What the warm-up found.
   *
   * @param sizes every batch size run, in the order first run
   * @param msPerImage the best time per image of each timed batch size
   * @param batchCap the largest batch the version should run: the largest batch allowed, unless
   *     larger batches were measured to be slower per image
   */
  record Outcome(List<Integer> sizes, Map<Integer, Double> msPerImage, int batchCap) {}

  /**
   * Runs the warm-up; with {@code timeBatches} false, only warms the batch sizes. Returns no sizes
   * when the signature's inputs cannot be synthesised.
   */
  static Outcome run(
      LoadedModel model,
      ModelSettings settings,
      int largestBatch,
      boolean timeBatches,
      Duration timeAllowed,
      Clock clock) {
    long deadline = clock.nanoTime() + timeAllowed.toNanos();
    SignatureSpec signature = model.signatures().get(SignatureSpec.DEFAULT_KEY);
    if (signature == null || signature.unsupportedTensor().isPresent()) {
      return new Outcome(List.of(), Map.of(), largestBatch);
    }
    Map<String, long[]> shapes = new HashMap<>();
    boolean batchDimension = true;
    for (TensorSpec spec : signature.inputs().values()) {
      Optional<long[]> shape = concreteShape(spec, settings.image());
      if (shape.isEmpty() || spec.dtype() == DType.BYTES) {
        return new Outcome(List.of(), Map.of(), largestBatch);
      }
      batchDimension &= spec.hasBatchDimension();
      shapes.put(spec.name(), shape.get());
    }
    Set<Integer> sizes = new LinkedHashSet<>();
    if (!batchDimension) {
      run(model, signature, zeros(signature, shapes, -1));
      sizes.add(1);
      return new Outcome(List.copyOf(sizes), Map.of(), largestBatch);
    }
    Map<Integer, Double> msPerImage = new TreeMap<>();
    if (timeBatches && largestBatch > 1) {
      timeBatchSizes(model, signature, shapes, largestBatch, deadline, clock, sizes, msPerImage);
    }
    int cap = batchCap(msPerImage, largestBatch);
    if (cap < largestBatch) {
      confirmSlowerSizes(model, signature, shapes, cap, deadline, clock, msPerImage);
      cap = batchCap(msPerImage, largestBatch);
    }
    for (int rows = 1; rows <= cap; rows++) {
      if (!sizes.isEmpty() && clock.nanoTime() >= deadline) {
        break;
      }
      if (sizes.add(rows)) {
        run(model, signature, zeros(signature, shapes, rows));
      }
    }
    return new Outcome(List.copyOf(sizes), msPerImage, cap);
  }

  private static void timeBatchSizes(
      LoadedModel model,
      SignatureSpec signature,
      Map<String, long[]> shapes,
      int largestBatch,
      long deadline,
      Clock clock,
      Set<Integer> sizes,
      Map<Integer, Double> msPerImage) {
    double fastest = Double.MAX_VALUE;
    double slowest = 0;
    // Every size is timed while time is left, even after slower ones: a disturbed timing of one or
    // two sizes (another process, a collection) must not hide the larger sizes that pay off.
    for (int rows = 1; rows <= largestBatch; rows = next(rows, largestBatch)) {
      // A size is timed only when its runs, at the slowest time per image seen so far, fit in the
      // time left: a heavy model's largest batches may take seconds.
      long expected = Math.round((TIMED_RUNS + 1) * rows * slowest * 1e6);
      if (clock.nanoTime() + expected >= deadline) {
        return;
      }
      Map<String, TensorData> inputs = zeros(signature, shapes, rows);
      // The first runs also initialise the session as a whole, not just this shape's kernels.
      for (int i = 0; i < (rows == 1 ? PREPARING_RUNS_FIRST : 1); i++) {
        run(model, signature, inputs);
      }
      sizes.add(rows);
      double perImage = msPerImage(model, signature, inputs, rows, clock);
      msPerImage.put(rows, perImage);
      fastest = Math.min(fastest, perImage);
      slowest = Math.max(slowest, perImage);
    }
  }

  /**
   * Times the sizes from the cap upward once more, keeping each size's best time: a stall of the
   * machine during one size's runs (another process, a collection, a noisy neighbour) must not cap
   * a model whose larger batches are in fact faster.
   */
  private static void confirmSlowerSizes(
      LoadedModel model,
      SignatureSpec signature,
      Map<String, long[]> shapes,
      int cap,
      long deadline,
      Clock clock,
      Map<Integer, Double> msPerImage) {
    for (Map.Entry<Integer, Double> timed : msPerImage.entrySet()) {
      int rows = timed.getKey();
      if (rows < cap) {
        continue;
      }
      long expected = Math.round(TIMED_RUNS * rows * timed.getValue() * 1e6);
      if (clock.nanoTime() + expected >= deadline) {
        return;
      }
      Map<String, TensorData> inputs = zeros(signature, shapes, rows);
      timed.setValue(Math.min(timed.getValue(), msPerImage(model, signature, inputs, rows, clock)));
    }
  }

  /** The best of {@link #TIMED_RUNS} runs, in milliseconds per image. */
  private static double msPerImage(
      LoadedModel model,
      SignatureSpec signature,
      Map<String, TensorData> inputs,
      int rows,
      Clock clock) {
    long best = Long.MAX_VALUE;
    for (int i = 0; i < TIMED_RUNS; i++) {
      long start = clock.nanoTime();
      run(model, signature, inputs);
      best = Math.min(best, clock.nanoTime() - start);
    }
    return best / 1e6 / rows;
  }

  /** The next size to time: the next power of two, then the largest batch itself. */
  private static int next(int rows, int largestBatch) {
    return rows == largestBatch ? largestBatch + 1 : Math.min(rows * 2, largestBatch);
  }

  /**
   * The largest timed size within {@link #SAME_SPEED} of the fastest, when a larger size was timed
   * and found slower; the largest batch allowed otherwise (no size timed, or none slower).
   */
  static int batchCap(Map<Integer, Double> msPerImage, int largestBatch) {
    double fastest = msPerImage.values().stream().mapToDouble(Double::doubleValue).min().orElse(0);
    int cap = 0;
    int largestTimed = 0;
    for (Map.Entry<Integer, Double> timed : msPerImage.entrySet()) {
      largestTimed = Math.max(largestTimed, timed.getKey());
      if (timed.getValue() <= fastest * SAME_SPEED) {
        cap = Math.max(cap, timed.getKey());
      }
    }
    return cap == 0 || cap == largestTimed ? largestBatch : cap;
  }

  private static void run(
      LoadedModel model, SignatureSpec signature, Map<String, TensorData> inputs) {
    model.run(signature.key(), inputs, signature.outputs().keySet());
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
    boolean isImage = image != null && spec.name().equals(image.input()) && shape.length == 4;
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] >= 0) {
        continue;
      }
      if (i == 0) {
        shape[i] = 1;
      } else if (isImage && i == 1 && image.height() > 0) {
        shape[i] = image.height();
      } else if (isImage && i == 2 && image.width() > 0) {
        shape[i] = image.width();
      } else {
        return Optional.empty();
      }
    }
    return Optional.of(shape);
  }
}
