package io.tuneserve.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The in-process limit, measured by {@link InProcessLimit} in its own JVM on the server's cores.
 *
 * @param batch the batch size that reached {@code imagesPerSecond}
 * @param msPerRun compute time of one run, by batch size
 * @param input the model's image input, as its signature declares it
 */
record Limit(double imagesPerSecond, int batch, Map<Integer, Double> msPerRun, ImageInput input) {

  /** Milliseconds TensorFlow takes for one batch of this size (NaN when not measured). */
  double msPerBatch(int size) {
    return msPerRun.getOrDefault(size, Double.NaN);
  }

  /**
   * The mean of two measurements of one model with the same batch sizes, taken before and after the
   * server's steps: on a machine whose speed moves within minutes, the steps' ratios are taken
   * against what the machine did around them, not at one moment before.
   */
  static Limit mean(Limit before, Limit after) {
    Map<Integer, Double> times = new TreeMap<>();
    double best = 0;
    int bestBatch = before.batch();
    for (Map.Entry<Integer, Double> entry : before.msPerRun().entrySet()) {
      Double other = after.msPerRun().get(entry.getKey());
      double ms = other == null ? entry.getValue() : (entry.getValue() + other) / 2;
      times.put(entry.getKey(), ms);
      double imagesPerSecond = entry.getKey() * 1000 / ms;
      if (imagesPerSecond > best) {
        best = imagesPerSecond;
        bestBatch = entry.getKey();
      }
    }
    return new Limit((before.imagesPerSecond() + after.imagesPerSecond()) / 2, bestBatch, times, before.input());
  }

  static Limit measure(String cores, Path model, double secondsPerBatch, String batches, Path log)
      throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder(
                List.of(
                    "taskset", "-c", cores,
                    ServerProcess.javaBinary(),
                    "-cp", ServerProcess.classPath(),
                    InProcessLimit.class.getName(),
                    model.toString(),
                    Double.toString(secondsPerBatch),
                    batches))
            .redirectError(log.toFile())
            .start();
    Limit limit = null;
    ImageInput input = ImageInput.of(model.toAbsolutePath().getParent());
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        System.out.println("   " + line);
        if (line.startsWith("LIMIT ")) {
          String[] parts = line.split(" ", -1);
          Map<Integer, Double> times = new TreeMap<>();
          for (String time : parts[3].split(",", -1)) {
            String[] batchAndMs = time.split(":", -1);
            times.put(Integer.parseInt(batchAndMs[0]), Double.parseDouble(batchAndMs[1]));
          }
          limit = new Limit(Double.parseDouble(parts[1]), Integer.parseInt(parts[2]), times, input);
        }
      }
    }
    if (process.waitFor() != 0 || limit == null) {
      throw new IllegalStateException("in-process limit failed; see " + log);
    }
    return limit;
  }
}
