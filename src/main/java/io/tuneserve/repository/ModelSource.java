package io.tuneserve.repository;

import java.nio.file.Path;
import java.util.Collections;
import java.util.NavigableSet;
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

  public Path versionDirectory(long version) {
    return directory.resolve(Long.toString(version));
  }

  /** The versions the model's policy wants served. */
  public NavigableSet<Long> aspiredVersions() {
    return settingsError != null ? new TreeSet<>() : settings.policy().select(versions);
  }
}
