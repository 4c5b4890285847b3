package io.tuneserve.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.data.FashionMnist;
import io.tuneserve.data.LabelledImages;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * How long a version published on one node of a three-node cluster takes to serve from all three:
 * from the registry record's creation (the publish) to the last node reporting the version
 * AVAILABLE, over repeated fine-tuning jobs submitted to the nodes in turn. Both ends are stamped by
 * the servers on this machine's one clock; a node reports AVAILABLE after it has loaded and warmed
 * the version up, so the figures are upper bounds.
 */
public final class Propagation {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String[] GROUPS = {
    "top", "other", "top", "other", "top", "footwear", "top", "footwear", "other", "footwear"
  };

  private record Kind(String name, String target, String options) {}

  public static void main(String[] args) throws Exception {
    int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    String cores = args.length > 1 ? args[1] : "0-" + (Runtime.getRuntime().availableProcessors() - 1);
    Path out = Path.of("load-tests/results");
    Files.createDirectories(out);
    LabelledImages images = new FashionMnist(FashionMnist.DEFAULT_DIRECTORY).test();

    try (ThreeNodes cluster = ThreeNodes.start("propagation", cores, out, models -> TrainingImpact.copy(Path.of("models"), models))) {
      List<String> urls = cluster.urls();
      System.out.printf(Locale.ROOT, "3 nodes ready; %d publishes of each kind%n", repeats);

      List<Kind> kinds =
          List.of(
              new Kind("head-only version (feature_extractor)", "propagation-head", "\"strategy\": \"feature_extractor\", \"hyperparameters\": {\"epochs\": 2}"),
              new Kind("full fine-tuned SavedModel (fine_tune)", "propagation-full", "\"strategy\": \"fine_tune\", \"hyperparameters\": {\"epochs\": 1}"));
      StringBuilder table = new StringBuilder();
      table.append("| version published | publishes | checkpoint | p50 | p99 | max | target (p99) |\n");
      table.append("|---|---|---|---|---|---|---|\n");
      for (Kind kind : kinds) {
        Histogram millis = new Histogram(3);
        long bytes = 0;
        String store = "";
        for (int i = 0; i < repeats; i++) {
          String node = urls.get(i % 3);
          String job = jobRequest(images, kind, i);
          JsonNode submitted = JSON.readTree(post(node + "/v1/jobs", job));
          JsonNode done = awaitJob(node, submitted.get("id").asText());
          if (!done.get("state").asText().equals("SUCCEEDED")) {
            throw new IllegalStateException("job failed: " + done);
          }
          String version = done.at("/result/version").asText();
          JsonNode record = awaitEverywhere(node, kind.target(), version);
          Instant published = Instant.parse(record.get("created_at").asText());
          Instant last = published;
          for (JsonNode state : record.get("nodes")) {
            Instant at = Instant.parse(state.get("at").asText());
            last = at.isAfter(last) ? at : last;
          }
          long ms = Duration.between(published, last).toMillis();
          millis.recordValue(Math.max(ms, 0));
          bytes = record.get("bytes").asLong();
          store = record.get("store").asText();
          System.out.printf(Locale.ROOT, "%s %s v%s from node%d: serving on all 3 nodes after %d ms%n", kind.target(), store, version, i % 3, ms);
        }
        String target = kind.target().endsWith("head") ? "1000 ms" : "3000 ms";
        table.append(
            String.format(
                Locale.ROOT,
                "| %s | %d | %s, %s | %d ms | %d ms | %d ms | %s |%n",
                kind.name(),
                repeats,
                human(bytes),
                store,
                millis.getValueAtPercentile(50),
                millis.getValueAtPercentile(99),
                millis.getMaxValue(),
                target));
      }
      System.out.println();
      System.out.print(table);
      Files.writeString(out.resolve("propagation.md"), table.toString());
    }
  }

  private static String jobRequest(LabelledImages images, Kind kind, int round) {
    int from = (round * 60) % 3000;
    StringBuilder instances = new StringBuilder();
    StringBuilder labels = new StringBuilder();
    for (int i = from; i < from + 60; i++) {
      float[] pixels = Arrays.copyOfRange(images.pixels(), i * 784, (i + 1) * 784);
      StringBuilder image = new StringBuilder("[");
      for (int y = 0; y < 28; y++) {
        image.append(y == 0 ? "[" : ",[");
        for (int x = 0; x < 28; x++) {
          image.append(x == 0 ? "[" : ",[").append(pixels[y * 28 + x]).append(']');
        }
        image.append(']');
      }
      instances.append(i == from ? "" : ",").append(image).append(']');
      labels.append(i == from ? "" : ",").append('"').append(GROUPS[images.labels()[i]]).append('"');
    }
    return "{\"base_model\": \"fashion-convnet\", \"target_model\": \"" + kind.target() + "\", " + kind.options()
        + ", \"instances\": [" + instances + "], \"labels\": [" + labels + "]}";
  }

  /** The version's registry record once all three nodes report it AVAILABLE. */
  private static JsonNode awaitEverywhere(String node, String model, String version) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode registry = JSON.readTree(get(node + "/v2/registry/models/" + model));
      for (JsonNode record : registry.path("versions")) {
        if (record.get("version").asText().equals(version)) {
          int available = 0;
          for (JsonNode state : record.get("nodes")) {
            available += state.get("state").asText().equals("AVAILABLE") ? 1 : 0;
          }
          if (available == 3) {
            return record;
          }
        }
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException(model + " version " + version + " did not reach all nodes");
  }

  private static JsonNode awaitJob(String node, String id) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode job = JSON.readTree(get(node + "/v1/jobs/" + id));
      if (job.get("state").asText().matches("SUCCEEDED|FAILED|CANCELLED")) {
        return job;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("job " + id + " did not finish");
  }

  private static String get(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  private static String post(String url, String body) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 202) {
      throw new IllegalStateException(url + ": " + response.statusCode() + " " + response.body());
    }
    return response.body();
  }

  private static String human(long bytes) {
    return bytes >= 1 << 20
        ? String.format(Locale.ROOT, "%.1f MB", bytes / 1048576.0)
        : String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
  }
}
