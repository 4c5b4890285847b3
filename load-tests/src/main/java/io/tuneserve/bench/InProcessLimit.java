package io.tuneserve.bench;

import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.TensorData;
import io.tuneserve.tf.TfModelLoader;
import io.tuneserve.tf.TfRuntimeOptions;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The model's own throughput through TensorFlow Java with no HTTP: the ceiling the server is
 * measured against. Run it on the same cores as the server (taskset). Prints one line per batch
 * size and a last line {@code LIMIT <images/s> <batch> <ms per batch of 64>}.
 */
public final class InProcessLimit {
  private InProcessLimit() {}

  public static void main(String[] args) throws Exception {
    Path model = Path.of(args[0]);
    double seconds = Double.parseDouble(args[1]);
    int[] batches = {1, 8, 32, 64, 128};
    double best = 0;
    int bestBatch = 0;
    double msPerBatch64 = 0;
    try (LoadedModel loaded = new TfModelLoader(TfRuntimeOptions.defaults()).load(model)) {
      for (int batch : batches) {
        Payloads payloads = new Payloads(batch, batch);
        TensorData images =
            TensorData.ofFloats(new long[] {batch, 28, 28, 1}, payloads.pixels);
        Map<String, TensorData> inputs = Map.of("images", images);
        Set<String> outputs = Set.of("probabilities");
        long warmupEnd = System.nanoTime() + (long) (seconds * 0.3e9);
        while (System.nanoTime() < warmupEnd) {
          loaded.run("serving_default", inputs, outputs);
        }
        long runs = 0;
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
          loaded.run("serving_default", inputs, outputs);
          runs++;
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        double imagesPerSecond = runs * batch / elapsed;
        if (batch == 64) {
          msPerBatch64 = elapsed / runs * 1000;
        }
        System.out.printf(
            Locale.ROOT, "batch %d: %.0f images/s, %.3f ms per run%n", batch, imagesPerSecond, elapsed / runs * 1000);
        if (imagesPerSecond > best) {
          best = imagesPerSecond;
          bestBatch = batch;
        }
      }
    }
    System.out.printf(Locale.ROOT, "LIMIT %.1f %d %.3f%n", best, bestBatch, msPerBatch64);
  }
}
