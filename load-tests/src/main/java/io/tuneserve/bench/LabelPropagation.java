package io.tuneserve.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.HdrHistogram.Histogram;

/**
 * Time from moving a model's {@code stable} label on one node of a three-node cluster (three JVMs
 * on this machine, joined over loopback) to every node answering unlabelled requests with the
 * newly labelled version. Both versions stay loaded (each has a label of its own), so this is the
 * label's own propagation, not a version load.
 */
public final class LabelPropagation {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String ZEROS =
      "{\"inputs\": [{\"name\": \"images\", \"shape\": [1, 28, 28, 1], \"datatype\": \"FP32\", \"data\": ["
          + String.join(",", Collections.nCopies(784, "0"))
          + "]}]}";

  public static void main(String[] args) throws Exception {
    int moves = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    String cores = "0-" + (Runtime.getRuntime().availableProcessors() - 1);
    Path out = Path.of("load-tests/results");
    Files.createDirectories(out);
    ExecutorService pollers = Executors.newFixedThreadPool(3);
    try (ThreeNodes cluster =
        ThreeNodes.start(
            "labels",
            cores,
            out,
            models -> {
              TrainingImpact.copy(Path.of("models"), models);
              TrainingImpact.copy(Path.of("models/fashion-convnet/1"), models.resolve("fashion-convnet/2"));
            })) {
      List<String> urls = cluster.urls();
      // Both versions keep a label of their own, so both stay loaded on every node while stable
      // moves between them: what is timed is the label's propagation, not a version loading.
      put(urls.get(0), "/v1/models/fashion-convnet/labels/one", 1);
      put(urls.get(0), "/v1/models/fashion-convnet/labels/two", 2);
      put(urls.get(0), "/v1/models/fashion-convnet/labels/stable", 1);
      for (String url : urls) {
        awaitAnswer(url, "1", Duration.ofSeconds(120));
        awaitAnswer(url + "/v2/models/fashion-convnet/labels/two", "2", Duration.ofSeconds(120));
      }
      System.out.printf(Locale.ROOT, "3 nodes serve versions 1 and 2; moving stable %d times%n", moves);
      Histogram everywhere = new Histogram(3);
      Histogram elsewhere = new Histogram(3);
      for (int move = 0; move < moves; move++) {
        String target = move % 2 == 0 ? "2" : "1";
        String setter = urls.get(move % 3);
        long start = System.nanoTime();
        put(setter, "/v1/models/fashion-convnet/labels/stable", Long.parseLong(target));
        List<Future<Long>> seen = new ArrayList<>();
        for (String url : urls) {
          seen.add(pollers.submit(() -> awaitAnswer(url, target, Duration.ofSeconds(30)) - start));
        }
        long last = 0;
        for (int i = 0; i < 3; i++) {
          long micros = seen.get(i).get() / 1000;
          last = Math.max(last, micros);
          if (!urls.get(i).equals(setter)) {
            elsewhere.recordValue(micros);
          }
        }
        everywhere.recordValue(last);
      }
      String table =
          String.format(
              Locale.ROOT,
              "| stable moved | moves | p50 | p99 | max | target (p99) |%n|---|---|---|---|---|---|%n"
                  + "| until all 3 nodes answer with it | %d | %.1f ms | %.1f ms | %.1f ms | 1000 ms |%n"
                  + "| until each other node does | %d | %.1f ms | %.1f ms | %.1f ms | |%n",
              moves,
              everywhere.getValueAtPercentile(50) / 1000.0,
              everywhere.getValueAtPercentile(99) / 1000.0,
              everywhere.getMaxValue() / 1000.0,
              elsewhere.getTotalCount(),
              elsewhere.getValueAtPercentile(50) / 1000.0,
              elsewhere.getValueAtPercentile(99) / 1000.0,
              elsewhere.getMaxValue() / 1000.0);
      System.out.println();
      System.out.print(table);
      Files.writeString(out.resolve("label-propagation.md"), table);
    } finally {
      pollers.shutdownNow();
    }
  }

  private static void put(String node, String path, long version) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(node + path))
                .header("content-type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"version\": " + version + "}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(path + ": " + response.statusCode() + " " + response.body());
    }
  }

  /**
   * Sends OIP requests to {@code base} (a node, or a node's labelled model path) until one is
   * answered by {@code version}; returns System.nanoTime() then.
   */
  private static long awaitAnswer(String base, String version, Duration timeout) throws Exception {
    String url = base.contains("/v2/models/") ? base + "/infer" : base + "/v2/models/fashion-convnet/infer";
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      HttpResponse<String> reply =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(url))
                  .header("content-type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(ZEROS))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      long now = System.nanoTime();
      if (reply.statusCode() == 200) {
        JsonNode answer = JSON.readTree(reply.body());
        if (answer.get("model_version").asText().equals(version)) {
          return now;
        }
      }
    }
    throw new IllegalStateException(url + " never answered with version " + version);
  }
}
