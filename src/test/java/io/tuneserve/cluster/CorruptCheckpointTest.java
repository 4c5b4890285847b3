package io.tuneserve.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tuneserve.testing.TestCluster;
import io.tuneserve.testing.TestData;
import io.tuneserve.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Two nodes over a shared checkpoint directory: a checkpoint that no longer matches its registered
 * sha256 is refused by the node that fetches it, the registry says so, and that node keeps serving
 * the previous version.
 */
class CorruptCheckpointTest {

  @Test
  void aCorruptCheckpointIsRefusedAndThePreviousVersionKeepsServing() throws Exception {
    Path shared = Files.createTempDirectory("tuneserve-shared");
    TestCluster cluster = TestCluster.of(2);
    try (TestServer a = node(new TestServer().withDemoModel(), cluster.member(0), shared);
        TestServer b = node(new TestServer(), cluster.member(1), shared)) {
      a.start();
      TestServer.copyTree(TestData.fashionConvnet(), a.repository().resolve("fashion-convnet/2"));
      assertThat(a.post("/v2/repository/rescan", "").statusCode()).isEqualTo(200);
      Path stored;
      try (Stream<Path> versions = Files.list(shared.resolve("fashion-convnet"))) {
        stored =
            versions.filter(p -> p.getFileName().toString().startsWith("2-")).findFirst().get();
      }
      Path weights = stored.resolve("variables/variables.data-00000-of-00001");
      byte[] bytes = Files.readAllBytes(weights);
      bytes[bytes.length / 2] ^= 0x5a;
      Files.write(weights, bytes);

      b.start();
      JsonNode versions = b.client().getJson("/v2/registry/models/fashion-convnet").get("versions");
      String nodeB = b.client().getJson("/v2/registry").get("node").asText();
      JsonNode refused = versions.get(1).get("nodes").get(nodeB);
      assertThat(versions.get(1).get("version").asText()).isEqualTo("2");
      assertThat(refused.get("state").asText()).isEqualTo("REFUSED");
      assertThat(refused.get("error").asText())
          .contains("does not match its registered sha256")
          .contains("variables/variables.data-00000-of-00001");
      assertThat(versions.get(0).get("nodes").get(nodeB).get("state").asText())
          .isEqualTo("AVAILABLE");
      assertThat(b.repository().resolve("fashion-convnet/2")).doesNotExist();

      JsonNode status = b.client().getJson("/v1/models/fashion-convnet");
      assertThat(status.at("/model_version_status/0/version").asText()).isEqualTo("1");
      assertThat(status.at("/model_version_status/0/state").asText()).isEqualTo("AVAILABLE");
      assertThat(b.post("/v1/models/fashion-convnet:predict", instance()).statusCode())
          .isEqualTo(200);
      assertThat(
              a.client()
                  .getJson("/v1/models/fashion-convnet")
                  .at("/model_version_status/0/version")
                  .asText())
          .isEqualTo("2");
    } finally {
      TestServer.deleteTree(shared);
    }
  }

  private static TestServer node(TestServer server, Map<String, Object> member, Path shared) {
    return server
        .joining(member)
        .set("registry.checkpoint_store", "shared")
        .set("registry.shared_directory", shared.toString())
        .set("registry.inline_max_bytes", 0);
  }

  private static String instance() {
    return "{\"instances\": [" + TestData.uniformImage(0.5f) + "]}";
  }
}
