package io.tuneserve.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The in-process limit, measured by {@link InProcessLimit} in its own JVM on the server's cores.
 *
 * @param msPerBatch64 compute time of one full default batch (64 images)
 */
record Limit(double imagesPerSecond, int batch, double msPerBatch64) {

  static Limit measure(String cores, Path model, double secondsPerBatch, Path out)
      throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder(
                List.of(
                    "taskset", "-c", cores,
                    ServerProcess.javaBinary(),
                    "-cp", ServerProcess.classPath(),
                    InProcessLimit.class.getName(),
                    model.toString(),
                    Double.toString(secondsPerBatch)))
            .redirectError(out.resolve("limit.log").toFile())
            .start();
    Limit limit = null;
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        System.out.println("   " + line);
        if (line.startsWith("LIMIT ")) {
          String[] parts = line.split(" ", -1);
          limit =
              new Limit(
                  Double.parseDouble(parts[1]), Integer.parseInt(parts[2]), Double.parseDouble(parts[3]));
        }
      }
    }
    if (process.waitFor() != 0 || limit == null) {
      throw new IllegalStateException("in-process limit failed; see " + out.resolve("limit.log"));
    }
    return limit;
  }
}
