package io.tuneserve.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.repository.VersionManifest;
import io.tuneserve.testing.TestData;
import io.tuneserve.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;

/** A version whose files no longer match its manifest is refused; the working one keeps serving. */
class VersionManifestTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void refusesACorruptedVersionAndKeepsServingThePreviousOne() throws Exception {
    try (TestServer server = new TestServer().withDemoModel().start()) {
      Path staging = Files.createTempDirectory("tuneserve-manifest");
      try {
        Path corrupted = staging.resolve("2");
        TestServer.copyTree(TestData.fashionConvnet(), corrupted);
        VersionManifest.of(corrupted).write(corrupted);
        Path weights = corrupted.resolve("variables/variables.data-00000-of-00001");
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length / 2] ^= 0x5a;
        Files.write(weights, bytes, StandardOpenOption.TRUNCATE_EXISTING);
        Files.move(corrupted, server.repository().resolve("fashion-convnet/2"));

        JsonNode index = JSON.readTree(server.post("/v2/repository/rescan", "").body());
        JsonNode version2 = null;
        for (JsonNode entry : index) {
          if (entry.path("version").asText().equals("2")) {
            version2 = entry;
          }
        }
        assertThat(version2).isNotNull();
        assertThat(version2.get("state").asText()).isEqualTo("FAILED");
        assertThat(version2.get("reason").asText())
            .contains(
                "sha256 of variables/variables.data-00000-of-00001 does not match the manifest");
        JsonNode status = JSON.readTree(server.get("/v1/models/fashion-convnet/versions/1").body());
        assertThat(status.at("/model_version_status/0/state").asText()).isEqualTo("AVAILABLE");

        Path intact = staging.resolve("3");
        TestServer.copyTree(TestData.fashionConvnet(), intact);
        VersionManifest.of(intact).write(intact);
        Files.move(intact, server.repository().resolve("fashion-convnet/3"));
        server.post("/v2/repository/rescan", "");
        JsonNode latest = JSON.readTree(server.get("/v1/models/fashion-convnet/versions/3").body());
        assertThat(latest.at("/model_version_status/0/state").asText()).isEqualTo("AVAILABLE");
      } finally {
        TestServer.deleteTree(staging);
      }
    }
  }

  @Test
  void describesEveryDifference() throws Exception {
    Path directory = Files.createTempDirectory("tuneserve-manifest");
    try {
      Files.writeString(directory.resolve("a"), "one");
      Files.writeString(directory.resolve("b"), "two");
      VersionManifest manifest = VersionManifest.of(directory);
      assertThat(manifest.differences(directory)).isEmpty();
      Files.writeString(directory.resolve("a"), "changed");
      Files.delete(directory.resolve("b"));
      Files.writeString(directory.resolve("c"), "new");
      assertThat(manifest.differences(directory))
          .containsExactlyInAnyOrder(
              "sha256 of a does not match the manifest",
              "b is missing",
              "c is not in the manifest");
      assertThat(manifest.bytes()).isEqualTo(6);
    } finally {
      TestServer.deleteTree(directory);
    }
  }
}
