package io.tuneserve.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private final ConfigLoader loader = new ConfigLoader();

  @Test
  void defaultsComeFromTheDocumentedFile() throws Exception {
    ServerConfig config = loader.load(null, Map.of(), Map.of());
    assertThat(config.http().host()).isEqualTo("127.0.0.1");
    assertThat(config.http().port()).isEqualTo(8080);
    assertThat(config.models().directory()).isEqualTo("models");
    assertThat(config.batching().enabled()).isTrue();
    assertThat(config.batching().maxBatchSize()).isEqualTo(128);
  }

  @Test
  void fileThenEnvironmentThenFlagsTakePrecedence(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("custom.yaml");
    Files.writeString(file, "http:\n  port: 9000\nbatching:\n  max_batch_size: 16\n  threads: 3\n");
    ServerConfig config =
        loader.load(
            file,
            Map.of(
                "TUNESERVE_BATCHING__MAX_BATCH_SIZE", "32",
                "TUNESERVE_BATCHING__ENABLED", "false",
                "PATH", "/usr/bin"),
            Map.of("http.port", 9100));
    assertThat(config.http().port()).isEqualTo(9100);
    assertThat(config.batching().maxBatchSize()).isEqualTo(32);
    assertThat(config.batching().enabled()).isFalse();
    assertThat(config.batching().threads()).isEqualTo(3);
    assertThat(config.http().host())
        .as("untouched keys keep their defaults")
        .isEqualTo("127.0.0.1");
  }

  @Test
  void unknownKeysAreNamed(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("typo.yaml");
    Files.writeString(file, "batching:\n  max_batch_sise: 16\n");
    assertThatThrownBy(() -> loader.load(file, Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("max_batch_sise");
  }

  @Test
  void invalidValuesAreExplained() {
    assertThatThrownBy(() -> loader.load(null, Map.of(), Map.of("batching.max_batch_size", 0)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("batching.max_batch_size must be at least 1");
    assertThatThrownBy(() -> loader.load(null, Map.of(), Map.of("http.port", 70000)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.port");
  }

  @Test
  void missingFileIsAnError() {
    assertThatThrownBy(
            () -> loader.load(Path.of("/nonexistent/tuneserve.yaml"), Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("does not exist");
  }
}
