package io.tuneserve.bench;

import io.tuneserve.data.LabelledImages;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Inference load that runs until stopped: {@code users} threads, each sending one-image OIP JSON
 * requests (real images, unlabelled, so they get whatever version the model serves) to the nodes
 * in turn, one at a time. Latencies go to a recorder read in intervals, so one run yields the
 * figures of several phases.
 */
final class BackgroundLoad implements AutoCloseable {
  private final Recorder recorder = new Recorder(3);
  private final AtomicLong errors = new AtomicLong();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** A phase's figures: latency histogram (microseconds) and errors. */
  record Phase(Histogram latency, long errors, double seconds) {
    double p(double percentile) {
      return latency.getValueAtPercentile(percentile) / 1000.0;
    }

    double requestsPerSecond() {
      return latency.getTotalCount() / seconds;
    }

    String describe() {
      return String.format(
          Locale.ROOT, "%d requests, %.0f req/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d errors",
          latency.getTotalCount(), requestsPerSecond(), p(50), p(99), latency.getMaxValue() / 1000.0, errors);
    }
  }

  private long phaseStart = System.nanoTime();
  private long phaseErrors;

  BackgroundLoad(List<String> nodes, String model, LabelledImages images, int from, int count, int users) {
    List<String> bodies = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      StringBuilder data = new StringBuilder();
      for (int p = 0; p < 784; p++) {
        data.append(p == 0 ? "" : ",").append(images.pixels()[i * 784 + p]);
      }
      bodies.add(
          "{\"inputs\": [{\"name\": \"images\", \"shape\": [1, 28, 28, 1], \"datatype\": \"FP32\", \"data\": ["
              + data + "]}]}");
    }
    for (int u = 0; u < users; u++) {
      int user = u;
      Thread thread =
          new Thread(
              () -> {
                int sent = user;
                while (running.get()) {
                  String node = nodes.get(sent % nodes.size());
                  String body = bodies.get((sent * 7) % bodies.size());
                  sent++;
                  long start = System.nanoTime();
                  try {
                    HttpResponse<Void> reply =
                        http.send(
                            HttpRequest.newBuilder(URI.create(node + "/v2/models/" + model + "/infer"))
                                .timeout(Duration.ofSeconds(30))
                                .header("content-type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                            HttpResponse.BodyHandlers.discarding());
                    if (reply.statusCode() != 200) {
                      errors.incrementAndGet();
                    }
                  } catch (Exception e) {
                    if (running.get()) {
                      errors.incrementAndGet();
                    }
                  }
                  recorder.recordValue(Math.min((System.nanoTime() - start) / 1000, 60_000_000L));
                }
              },
              "load-" + u);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  /** The figures since the last phase ended; starts the next. */
  synchronized Phase endPhase() {
    long now = System.nanoTime();
    long allErrors = errors.get();
    Phase phase = new Phase(recorder.getIntervalHistogram(), allErrors - phaseErrors, (now - phaseStart) / 1e9);
    phaseStart = now;
    phaseErrors = allErrors;
    return phase;
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    for (Thread thread : threads) {
      thread.join(35_000);
    }
  }
}
