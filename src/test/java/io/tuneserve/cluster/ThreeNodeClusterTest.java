package io.tuneserve.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.testing.ImageJobs;
import io.tuneserve.testing.NodeClient;
import io.tuneserve.testing.NodeProcess;
import io.tuneserve.testing.TestCluster;
import io.tuneserve.testing.TestData;
import io.tuneserve.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three nodes, each a JVM of its own joined over loopback: a version fine-tuned on one node serves
 * from the others, every node shows the same registry, and killing the node that runs a job fails
 * the job without losing or half-publishing anything.
 */
class ThreeNodeClusterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] GROUPS = {
    "top", "other", "top", "other", "top", "footwear", "top", "footwear", "other", "footwear"
  };
  private static ImageJobs jobs;
  private final List<AutoCloseable> started = new ArrayList<>();

  /** Three nodes and room for one that joins late. */
  private TestCluster cluster;

  @BeforeAll
  static void data() throws Exception {
    jobs = new ImageJobs();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable node : started) {
      node.close();
    }
  }

  /** Starts three nodes (the first with the demo model) and waits until all serve it. */
  private List<NodeProcess> threeNodes() throws Exception {
    return threeNodes(Map.of());
  }

  /**
   * Starts three nodes, the first with the demo model and {@code more} (version 1 of each, by model
   * name), and waits until all serve every one.
   */
  private List<NodeProcess> threeNodes(Map<String, Path> more) throws Exception {
    cluster = TestCluster.of(4);
    List<NodeProcess> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Path models = Files.createTempDirectory("tuneserve-node" + i);
      if (i == 0) {
        TestServer.copyTree(TestData.fashionConvnet(), models.resolve("fashion-convnet/1"));
        Files.copy(TestData.fashionConvnetSettings(), models.resolve("fashion-convnet/model.yaml"));
        more.forEach((name, version) -> TestServer.copyTree(version, models.resolve(name + "/1")));
      }
      Map<String, Object> settings = new HashMap<>(cluster.member(i));
      settings.put("models.poll_interval_seconds", 0);
      settings.put("http.event_loops", 1);
      settings.put("batching.threads", 1);
      NodeProcess node = NodeProcess.start(models, settings);
      started.add(node);
      nodes.add(node);
    }
    for (NodeProcess node : nodes) {
      node.awaitReady(Duration.ofSeconds(60));
    }
    awaitRegistry(nodes.get(1).client(), available("fashion-convnet", "1", 3));
    for (String name : more.keySet()) {
      awaitRegistry(nodes.get(1).client(), available(name, "1", 3));
    }
    return nodes;
  }

  private static Predicate<JsonNode> available(String model, String version, int nodes) {
    return registry -> {
      for (JsonNode entry : registry.get("models")) {
        if (entry.get("name").asText().equals(model)) {
          for (JsonNode v : entry.get("versions")) {
            if (v.get("version").asText().equals(version)) {
              int count = 0;
              for (JsonNode state : v.get("nodes")) {
                count += state.get("state").asText().equals("AVAILABLE") ? 1 : 0;
              }
              return count == nodes;
            }
          }
        }
      }
      return false;
    };
  }

  private static JsonNode awaitRegistry(NodeClient node, Predicate<JsonNode> condition)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode registry = null;
    while (System.nanoTime() < deadline) {
      registry = node.getJson("/v2/registry");
      if (condition.test(registry)) {
        return registry;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("registry never got there: " + registry);
  }

  private static String submit(NodeClient node, String request) throws Exception {
    HttpResponse<String> submitted = node.post("/v1/jobs", request);
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    return JSON.readTree(submitted.body()).get("id").asText();
  }

  /** The predictions of a model for three images, as one JSON array. */
  private static JsonNode predict(NodeClient node, String model) throws Exception {
    HttpResponse<String> response =
        node.post(
            "/v1/models/" + model + ":predict",
            "{\"instances\": [" + jobs.image(0) + "," + jobs.image(1) + "," + jobs.image(2) + "]}");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body()).get("predictions");
  }

  /** Same structure, same strings, numbers within 1e-5. */
  private static void assertClose(JsonNode actual, JsonNode expected) {
    if (expected.isNumber()) {
      assertThat(actual.asDouble())
          .isCloseTo(expected.asDouble(), org.assertj.core.data.Offset.offset(1e-5));
    } else if (expected.isContainerNode()) {
      assertThat(actual.size()).as(actual + " vs " + expected).isEqualTo(expected.size());
      if (expected.isArray()) {
        for (int i = 0; i < expected.size(); i++) {
          assertClose(actual.get(i), expected.get(i));
        }
      } else {
        expected.fieldNames().forEachRemaining(f -> assertClose(actual.get(f), expected.get(f)));
      }
    } else {
      assertThat(actual).isEqualTo(expected);
    }
  }

  @Test
  void aKerasModelFineTunedOnOneNodeServesFromEveryNode() throws Exception {
    Path keras = TestData.shared("thirdparty").resolve("mnist-cnn-2shard/1");
    List<NodeProcess> nodes = threeNodes(Map.of("keras-digits", keras));
    NodeClient a = nodes.get(0).client();
    String fineTune =
        submit(
            a,
            jobs.job(
                "keras-digits",
                "keras-groups",
                new String[] {"top", "trouser", "pullover"},
                90,
                28,
                "\"strategy\": \"fine_tune\", \"hyperparameters\": {\"epochs\": 2,"
                    + " \"frozen_blocks\": 2, \"seed\": 1}"));
    JsonNode done = nodes.get(1).client().awaitJob(fineTune);
    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
    awaitRegistry(nodes.get(2).client(), available("keras-groups", "1", 3));
    JsonNode expected = predict(a, "keras-groups");
    assertThat(expected.get(0).get("probabilities")).hasSize(3);
    assertClose(predict(nodes.get(1).client(), "keras-groups"), expected);
    assertClose(predict(nodes.get(2).client(), "keras-groups"), expected);
  }

  @Test
  void aVersionTrainedOnOneNodeServesFromEveryNode() throws Exception {
    List<NodeProcess> nodes = threeNodes();
    NodeClient a = nodes.get(0).client();
    NodeClient b = nodes.get(1).client();
    NodeClient c = nodes.get(2).client();

    JsonNode fromA = a.getJson("/v2/registry");
    assertThat(fromA.get("nodes")).hasSize(3);
    assertThat(b.getJson("/v2/registry").get("models")).isEqualTo(fromA.get("models"));
    assertThat(c.getJson("/v2/registry").get("nodes")).isEqualTo(fromA.get("nodes"));

    String fineTune =
        submit(
            a,
            jobs.job(
                "fashion-groups",
                GROUPS,
                0,
                120,
                "\"strategy\": \"fine_tune\", \"hyperparameters\": {\"epochs\": 3, \"seed\": 1}"));
    JsonNode done = b.awaitJob(fineTune);
    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
    assertThat(done.get("node").asText()).isEqualTo(fromA.get("node").asText());

    String head =
        submit(
            c,
            jobs.job(
                "fashion-heads",
                GROUPS,
                200,
                120,
                "\"strategy\": \"feature_extractor\", \"hyperparameters\": {\"epochs\": 5}"));
    assertThat(a.awaitJob(head).get("state").asText()).isEqualTo("SUCCEEDED");

    JsonNode registry =
        awaitRegistry(
            c, available("fashion-groups", "1", 3).and(available("fashion-heads", "1", 3)));
    for (JsonNode model : registry.get("models")) {
      JsonNode version = model.get("versions").get(0);
      switch (model.get("name").asText()) {
        case "fashion-groups" -> {
          assertThat(version.get("store").asText()).isEqualTo("replicated");
          assertThat(version.at("/lineage/base_model").asText()).isEqualTo("fashion-convnet");
        }
        case "fashion-heads" -> {
          assertThat(version.get("store").asText()).isEqualTo("inline");
          assertThat(version.get("head_base").asText()).isEqualTo("fashion-convnet/1");
        }
        default -> assertThat(model.get("name").asText()).isEqualTo("fashion-convnet");
      }
      assertThat(version.get("sha256").asText()).hasSize(64);
    }
    for (String model : List.of("fashion-groups", "fashion-heads")) {
      JsonNode expected = predict(a, model);
      assertClose(predict(b, model), expected);
      assertClose(predict(c, model), expected);
    }
  }

  @Test
  void killingTheNodeThatRunsAJobFailsTheJobAndLosesNoVersion() throws Exception {
    List<NodeProcess> nodes = threeNodes();
    NodeClient a = nodes.get(0).client();
    NodeClient b = nodes.get(1).client();
    NodeClient c = nodes.get(2).client();
    String kept =
        submit(
            a,
            jobs.job(
                "kept",
                GROUPS,
                0,
                60,
                "\"strategy\": \"fine_tune\", \"hyperparameters\": {\"epochs\": 2}"));
    assertThat(a.awaitJob(kept).get("state").asText()).isEqualTo("SUCCEEDED");
    awaitRegistry(b, available("kept", "1", 3));
    JsonNode keptAnswers = predict(a, "kept");

    String doomed =
        submit(
            a,
            jobs.job(
                "never",
                GROUPS,
                0,
                120,
                "\"strategy\": \"fine_tune\","
                    + " \"hyperparameters\": {\"epochs\": 5000, \"patience\": 5000}"));
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!b.getJson("/v1/jobs/" + doomed).path("phase").asText().equals("training")) {
      assertThat(System.nanoTime()).as("job training in time").isLessThan(deadline);
      Thread.sleep(50);
    }
    // Clients of the survivors keep asking while the node dies.
    java.util.concurrent.atomic.AtomicBoolean loading =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.concurrent.ConcurrentLinkedQueue<String> loadFailures =
        new java.util.concurrent.ConcurrentLinkedQueue<>();
    java.util.concurrent.atomic.AtomicInteger answered =
        new java.util.concurrent.atomic.AtomicInteger();
    List<Thread> clients = new ArrayList<>();
    for (NodeClient survivor : List.of(b, c, b, c)) {
      Thread client =
          new Thread(
              () -> {
                while (loading.get()) {
                  try {
                    HttpResponse<String> response =
                        survivor.post(
                            "/v1/models/kept:predict", "{\"instances\": [" + jobs.image(5) + "]}");
                    if (response.statusCode() == 200) {
                      answered.incrementAndGet();
                    } else {
                      loadFailures.add(response.statusCode() + " " + response.body());
                    }
                  } catch (Exception e) {
                    loadFailures.add(e.toString());
                  }
                }
              });
      client.start();
      clients.add(client);
    }
    Thread.sleep(300);
    nodes.get(0).kill();
    long killed = System.nanoTime();
    JsonNode failed = b.awaitJob(doomed);
    double seconds = (System.nanoTime() - killed) / 1e9;
    Thread.sleep(1000);
    loading.set(false);
    for (Thread client : clients) {
      client.join(30_000);
    }
    assertThat(loadFailures).as("requests to the survivors while a node died").isEmpty();
    assertThat(answered.get()).isGreaterThan(20);
    assertThat(failed.get("state").asText()).isEqualTo("FAILED");
    assertThat(failed.get("error").asText()).contains("left the cluster");
    assertThat(seconds).as("seconds until the job was marked FAILED").isLessThan(15);
    System.out.printf(
        java.util.Locale.ROOT,
        "job marked FAILED %.2f s after kill -9 of its node; survivors answered %d requests"
            + " meanwhile, 0 failed%n",
        seconds,
        answered.get());
    assertThat(c.getJson("/v1/jobs/" + doomed).get("state").asText()).isEqualTo("FAILED");

    JsonNode registry = awaitRegistry(c, r -> r.get("nodes").size() == 2);
    assertThat(registry.get("models").findValuesAsText("name"))
        .contains("fashion-convnet", "kept")
        .doesNotContain("never");
    assertClose(predict(b, "kept"), keptAnswers);
    assertClose(predict(c, "kept"), keptAnswers);
    assertThat(b.get("/v1/models/never").statusCode()).isEqualTo(404);
    assertThat(nodes.get(1).models().resolve("never")).doesNotExist();

    // A node joining now fetches every checkpoint from the survivors alone.
    TestServer late = new TestServer();
    started.add(late);
    late.joining(cluster.member(3)).start();
    assertClose(predict(late.client(), "kept"), keptAnswers);
    assertThat(late.repository().resolve("kept/1/manifest.json")).exists();
  }
}
