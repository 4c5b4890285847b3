package io.tuneserve.repository;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.TreeSet;

/**
 * One model directory as found on disk.
 *
 * @param settings the model's settings, defaults when {@code settingsError} is set
 * @param settingsError why model.yaml could not be read, or null
 * @param versions the version directories present, ascending
 */
public record ModelSource(
    String name,
    Path directory,
    ModelSettings settings,
    String settingsError,
    NavigableSet<Long> versions) {

  public ModelSource {
    versions = Collections.unmodifiableNavigableSet(new TreeSet<>(versions));
  }

  private static final ObjectMapper LINEAGE = new ObjectMapper();

  /** File in a version directory recording where a fine-tuned version came from. */
  public static final String LINEAGE_FILE = "lineage.json";

  public Path versionDirectory(long version) {
    return directory.resolve(Long.toString(version));
  }

  /** The lineage JSON a fine-tuning job wrote next to a version, if any. */
  public Optional<String> lineage(long version) {
    Path file = versionDirectory(version).resolve(LINEAGE_FILE);
    try {
      return Files.isRegularFile(file) ? Optional.of(Files.readString(file)) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * The settings of one version: the model's, with the classes its fine-tuning job trained it on
   * where its lineage records them (a later version may know classes an earlier one did not).
   */
  public ModelSettings settings(long version) {
    Optional<String> lineage = lineage(version);
    if (lineage.isEmpty()) {
      return settings;
    }
    try {
      JsonNode classes = LINEAGE.readTree(lineage.get()).get("classes");
      if (classes == null || !classes.isArray() || classes.isEmpty()) {
        return settings;
      }
      List<String> names = new ArrayList<>();
      for (JsonNode name : classes) {
        if (!name.isTextual()) {
          return settings;
        }
        names.add(name.textValue());
      }
      return names.equals(settings.labels()) ? settings : settings.withLabels(names);
    } catch (IOException e) {
      return settings;
    }
  }

  /** The versions the model's policy wants served. */
  public NavigableSet<Long> aspiredVersions() {
    return settingsError != null ? new TreeSet<>() : settings.policy().select(versions);
  }
}
