package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.testing.ImageJobs;
import io.tuneserve.testing.TestServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The registry API on one node: versions published by jobs with their records, retention of the
 * newest versions, pinning, deleting, and refusing to delete a base that head-only versions use.
 */
class RegistryApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] GROUPS = {
    "top", "other", "top", "other", "top", "footwear", "top", "footwear", "other", "footwear"
  };
  private static TestServer server;
  private static ImageJobs jobs;

  @BeforeAll
  static void start() throws Exception {
    jobs = new ImageJobs();
    server = new TestServer().withDemoModel().set("registry.keep_versions", 2).start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static void publishHead(String target, int from) throws Exception {
    HttpResponse<String> submitted =
        server.post(
            "/v1/jobs",
            jobs.job(
                target,
                GROUPS,
                from,
                60,
                "\"strategy\": \"feature_extractor\", \"hyperparameters\": {\"epochs\": 2}"));
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    JsonNode done = server.client().awaitJob(JSON.readTree(submitted.body()).get("id").asText());
    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
  }

  private static List<String> versions(String model) throws Exception {
    List<String> versions = new ArrayList<>();
    server
        .client()
        .getJson("/v2/registry/models/" + model)
        .get("versions")
        .forEach(v -> versions.add(v.get("version").asText()));
    return versions;
  }

  private static HttpResponse<String> delete(String path) throws Exception {
    return server.send(HttpRequest.newBuilder(server.uri(path)).DELETE());
  }

  @Test
  void keepsTheNewestVersionsAndPinnedOnesAndProtectsBases() throws Exception {
    JsonNode registry = server.client().getJson("/v2/registry");
    assertThat(registry.get("nodes")).hasSize(1);
    assertThat(server.get("/metrics").body())
        .contains("tuneserve_cluster_nodes 1.0")
        .contains("tuneserve_registry_versions 1.0");
    JsonNode demo = registry.get("models").get(0);
    assertThat(demo.get("name").asText()).isEqualTo("fashion-convnet");
    assertThat(demo.get("settings").asText()).contains("version_policy");
    JsonNode base = demo.get("versions").get(0);
    assertThat(base.get("sha256").asText()).hasSize(64);
    assertThat(base.get("store").asText()).isEqualTo("replicated");
    assertThat(base.at("/signatures/serving_default/inputs/images/dtype").asText())
        .isEqualTo("DT_FLOAT");
    assertThat(base.at("/signatures/serving_default/inputs/images/shape").toString())
        .isEqualTo("[-1,-1,-1,1]");
    assertThat(base.at("/signatures/features/outputs/features/shape").toString())
        .isEqualTo("[-1,128]");
    assertThat(base.get("nodes").get(registry.get("node").asText()).get("state").asText())
        .isEqualTo("AVAILABLE");

    publishHead("heads", 0);
    publishHead("heads", 60);
    publishHead("heads", 120);
    assertThat(versions("heads")).containsExactly("2", "3");
    assertThat(server.repository().resolve("heads/1")).doesNotExist();
    assertThat(server.get("/v1/models/heads/versions/1").statusCode()).isEqualTo(404);

    assertThat(server.post("/v2/registry/models/heads/versions/2/pin", "").statusCode())
        .isEqualTo(200);
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!Files.exists(server.repository().resolve("heads/.pinned/2"))) {
      assertThat(System.nanoTime()).as("pin written next to the version").isLessThan(deadline);
      Thread.sleep(20);
    }
    publishHead("heads", 180);
    assertThat(versions("heads"))
        .as("the newest two and the pinned one")
        .containsExactly("2", "3", "4");
    assertThat(server.repository().resolve("heads/2")).exists();
    JsonNode pinned = server.client().getJson("/v2/registry/models/heads").get("versions").get(0);
    assertThat(pinned.get("pinned").asBoolean()).isTrue();
    assertThat(pinned.get("store").asText()).isEqualTo("inline");
    assertThat(pinned.get("head_base").asText()).isEqualTo("fashion-convnet/1");
    assertThat(pinned.at("/lineage/strategy").asText()).isEqualTo("feature_extractor");

    // A new cluster over a copy of this node's directory keeps the pin.
    try (TestServer restarted = new TestServer()) {
      TestServer.copyTree(server.repository(), restarted.repository());
      restarted.start();
      JsonNode kept = restarted.client().getJson("/v2/registry/models/heads").get("versions");
      assertThat(kept.get(0).get("version").asText()).isEqualTo("2");
      assertThat(kept.get(0).get("pinned").asBoolean()).isTrue();
      assertThat(kept.get(1).get("pinned").asBoolean()).isFalse();
    }

    HttpResponse<String> baseInUse = delete("/v2/registry/models/fashion-convnet/versions/1");
    assertThat(baseInUse.statusCode()).isEqualTo(409);
    assertThat(baseInUse.body()).contains("heads/2").contains("heads/3").contains("heads/4");

    assertThat(delete("/v2/registry/models/heads/versions/2").statusCode()).isEqualTo(200);
    assertThat(versions("heads")).containsExactly("3", "4");
    assertThat(server.repository().resolve("heads/2")).doesNotExist();
    assertThat(delete("/v2/registry/models/heads/versions/2").statusCode()).isEqualTo(404);
    assertThat(server.get("/v2/registry/models/nope").statusCode()).isEqualTo(404);
    assertThat(server.post("/v2/registry/models/heads/versions/x/pin", "").statusCode())
        .isEqualTo(400);
  }
}
