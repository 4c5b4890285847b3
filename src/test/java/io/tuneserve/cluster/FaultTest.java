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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Faults a node meets alone: the disk filling up while a fine-tuned version is written (a file-size
 * quota on the node's process), and a version that fails to load. Each ends in a clear state, and
 * nothing registered before is lost.
 */
class FaultTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] GROUPS = {
    "top", "other", "top", "other", "top", "footwear", "top", "footwear", "other", "footwear"
  };

  @Test
  void aFullDiskFailsTheJobCleanlyAndTheNodeGoesOn() throws Exception {
    ImageJobs jobs = new ImageJobs();
    Path models = Files.createTempDirectory("tuneserve-full");
    TestServer.copyTree(TestData.fashionConvnet(), models.resolve("fashion-convnet/1"));
    Files.copy(TestData.fashionConvnetSettings(), models.resolve("fashion-convnet/model.yaml"));
    try (NodeProcess node = NodeProcess.start(models, TestCluster.of(1).member(0), 2)) {
      node.awaitReady(Duration.ofSeconds(60));
      NodeClient client = node.client();

      JsonNode failed =
          client.awaitJob(
              submit(
                  client,
                  jobs.job(
                      "too-big",
                      GROUPS,
                      0,
                      60,
                      "\"strategy\": \"fine_tune\", \"hyperparameters\": {\"epochs\": 1}")));
      assertThat(failed.get("state").asText()).isEqualTo("FAILED");
      assertThat(failed.get("error").asText()).as("says why").contains("File too large");
      assertThat(client.get("/v2/registry/models/too-big").statusCode()).isEqualTo(404);
      assertThat(client.get("/v1/models/too-big").statusCode()).isEqualTo(404);
      try (Stream<Path> left = Files.list(models.resolve("too-big"))) {
        assertThat(left).as("no staged or half-written version left").isEmpty();
      }

      JsonNode small =
          client.awaitJob(
              submit(
                  client,
                  jobs.job(
                      "small",
                      GROUPS,
                      0,
                      60,
                      "\"strategy\": \"feature_extractor\", \"hyperparameters\": {\"epochs\": 2}")));
      assertThat(small.get("state").asText()).as(small.toString()).isEqualTo("SUCCEEDED");
      JsonNode registry = client.getJson("/v2/registry");
      assertThat(registry.get("models").findValuesAsText("name"))
          .containsExactlyInAnyOrder("fashion-convnet", "small");
      assertThat(
              client
                  .post(
                      "/v1/models/fashion-convnet:predict",
                      "{\"instances\": [" + jobs.image(0) + "]}")
                  .statusCode())
          .isEqualTo(200);
    } finally {
      TestServer.deleteTree(models);
    }
  }

  @Test
  void aVersionThatFailsToLoadIsFailedInTheRegistryAndThePreviousOneServes() throws Exception {
    try (TestServer server = new TestServer().withDemoModel().start()) {
      Path broken = server.repository().resolve("fashion-convnet/2");
      Files.createDirectories(broken.resolve("variables"));
      Files.write(broken.resolve("saved_model.pb"), new byte[] {8, 1, 2, 3, 4, 5});
      assertThat(server.post("/v2/repository/rescan", "").statusCode()).isEqualTo(200);
      JsonNode versions =
          server.client().getJson("/v2/registry/models/fashion-convnet").get("versions");
      String node = server.client().getJson("/v2/registry").get("node").asText();
      JsonNode two = versions.get(1).get("nodes").get(node);
      assertThat(two.get("state").asText()).isEqualTo("FAILED");
      assertThat(two.get("error").asText()).isNotBlank();
      assertThat(versions.get(0).get("nodes").get(node).get("state").asText())
          .isEqualTo("AVAILABLE");
      JsonNode status = server.client().getJson("/v1/models/fashion-convnet");
      assertThat(status.toString()).contains("\"version\":\"1\"").contains("AVAILABLE");
    }
  }

  private static String submit(NodeClient node, String request) throws Exception {
    HttpResponse<String> submitted = node.post("/v1/jobs", request);
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    return JSON.readTree(submitted.body()).get("id").asText();
  }
}
