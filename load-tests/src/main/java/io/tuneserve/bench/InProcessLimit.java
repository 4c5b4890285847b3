package io.tuneserve.bench;

import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.tf.TfModelLoader;
import io.tuneserve.tf.TfRuntimeOptions;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The model's own throughput through TensorFlow Java with no HTTP: the ceiling the server is
 * measured against. Run it on the same cores as the server (taskset). Arguments: the SavedModel
 * directory, seconds per batch size, and the batch sizes (comma-separated). Prints one line per
 * batch size and a last line {@code LIMIT <images/s> <best batch> <batch>:<ms per run>,...}.
 */
public final class InProcessLimit {
  private InProcessLimit() {}

  public static void main(String[] args) throws Exception {
    Path model = Path.of(args[0]);
    double seconds = Double.parseDouble(args[1]);
    int[] batches = Arrays.stream(args[2].split(",", -1)).mapToInt(Integer::parseInt).toArray();
    double best = 0;
    int bestBatch = 0;
    double[] msPerRun = new double[batches.length];
    try (LoadedModel loaded = new TfModelLoader(TfRuntimeOptions.defaults()).load(model)) {
      ImageInput input = ImageInput.of(model.toAbsolutePath().getParent());
      for (int b = 0; b < batches.length; b++) {
        int batch = batches[b];
        Payloads payloads = new Payloads(input, batch, batch);
        Map<String, TensorData> inputs =
            Map.of(input.input(), TensorData.ofFloats(input.shape(batch), payloads.pixels));
        Set<String> outputs = Set.of(input.output());
        long warmupEnd = System.nanoTime() + (long) (seconds * 0.3e9);
        do {
          loaded.run(SignatureSpec.DEFAULT_KEY, inputs, outputs);
        } while (System.nanoTime() < warmupEnd);
        long runs = 0;
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        do {
          loaded.run(SignatureSpec.DEFAULT_KEY, inputs, outputs);
          runs++;
        } while (System.nanoTime() < end);
        double elapsed = (System.nanoTime() - start) / 1e9;
        double imagesPerSecond = runs * batch / elapsed;
        msPerRun[b] = elapsed / runs * 1000;
        System.out.printf(
            Locale.ROOT, "batch %d: %.0f images/s, %.3f ms per run%n", batch, imagesPerSecond, msPerRun[b]);
        if (imagesPerSecond > best) {
          best = imagesPerSecond;
          bestBatch = batch;
        }
      }
    }
    StringBuilder times = new StringBuilder();
    for (int b = 0; b < batches.length; b++) {
      times.append(b == 0 ? "" : ",").append(String.format(Locale.ROOT, "%d:%.4f", batches[b], msPerRun[b]));
    }
    System.out.printf(Locale.ROOT, "LIMIT %.1f %d %s%n", best, bestBatch, times);
  }
}
