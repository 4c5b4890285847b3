package io.tuneserve.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRepositoryTest {
  @TempDir Path root;

  private void version(String model, String version) throws Exception {
    Path dir = root.resolve(model).resolve(version);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("saved_model.pb"), "");
  }

  @Test
  void findsNumericVersionsWithASavedModel() throws Exception {
    version("a", "1");
    version("a", "10");
    version("a", "tmp");
    Files.createDirectories(root.resolve("a").resolve("3"));
    version(".hidden", "1");
    Map<String, ModelSource> models = new ModelRepository(root).scan();
    assertThat(models).containsOnlyKeys("a");
    assertThat(models.get("a").versions()).containsExactly(1L, 10L);
    assertThat(models.get("a").aspiredVersions()).containsExactly(10L);
  }

  @Test
  void readsVersionPolicyFromModelYaml() throws Exception {
    version("a", "1");
    version("a", "2");
    version("a", "3");
    Files.writeString(root.resolve("a/model.yaml"), "version_policy:\n  specific: [1, 3, 7]\n");
    ModelSource source = new ModelRepository(root).scan("a").orElseThrow();
    assertThat(source.settingsError()).isNull();
    assertThat(source.aspiredVersions()).containsExactly(1L, 3L);
  }

  @Test
  void reportsABrokenModelYamlAndServesNothingFromIt() throws Exception {
    version("a", "1");
    Files.writeString(root.resolve("a/model.yaml"), "version_policy:\n  latest: 1\n  all: true\n");
    ModelSource source = new ModelRepository(root).scan("a").orElseThrow();
    assertThat(source.settingsError()).contains("exactly one of latest, all: true, specific");
    assertThat(source.aspiredVersions()).isEmpty();
    Files.writeString(root.resolve("a/model.yaml"), "labelz: [a]\n");
    assertThat(new ModelRepository(root).scan("a").orElseThrow().settingsError())
        .contains("labelz");
  }

  @Test
  void rejectsNamesThatLeaveTheRepository() throws Exception {
    assertThat(new ModelRepository(root).scan("../etc")).isEmpty();
    assertThat(ModelNames.isValidName("..")).isFalse();
    assertThat(ModelNames.isValidName("a/b")).isFalse();
    assertThat(ModelNames.isValidName("fashion-convnet")).isTrue();
    assertThat(ModelNames.isValidVersion("0")).isFalse();
    assertThat(ModelNames.isValidVersion("007")).isFalse();
    assertThat(ModelNames.isValidVersion("123")).isTrue();
  }

  @Test
  void policiesChooseVersions() {
    TreeSet<Long> available = new TreeSet<>(java.util.List.of(1L, 2L, 5L, 9L));
    assertThat(new VersionPolicy.Latest(2).select(available)).containsExactly(5L, 9L);
    assertThat(new VersionPolicy.All().select(available)).containsExactly(1L, 2L, 5L, 9L);
    assertThat(VersionPolicy.Specific.of(java.util.List.of(2L, 3L)).select(available))
        .containsExactly(2L);
  }
}
