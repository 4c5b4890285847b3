package io.tuneserve.repository;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A directory in TF Serving's layout: {@code <root>/<model>/<version>/saved_model.pb} (or a
 * head-only version's {@code head.json}), with an optional {@code <root>/<model>/model.yaml}.
 */
public final class ModelRepository {
  private final Path root;
  private final ModelSettingsFile settingsFile = new ModelSettingsFile();
  private static final String PINS = ".pinned";

  public ModelRepository(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  /**
   * A new empty directory for a version being built, inside the model's directory (names starting
   * with a dot are never scanned), so publishing it is a rename on one file system.
   */
  public Path stagingDirectory(String model, String purpose) throws IOException {
    if (!ModelNames.isValidName(model)) {
      throw new IOException("invalid model name " + model);
    }
    Path directory = root.resolve(model).resolve(".staging-" + purpose);
    Files.createDirectories(directory.getParent());
    return directory;
  }

  /** Makes a staged version visible as {@code version} of the model, in one rename. */
  public void install(String model, long version, Path staged) throws IOException {
    Path target = root.resolve(model).resolve(Long.toString(version));
    if (Files.exists(target)) {
      throw new IOException(model + " version " + version + " already exists in " + root);
    }
    Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Takes a version out of the repository: renamed away at once (so no scan sees it half deleted),
   * then deleted, or kept under {@code keepAs} when that is not null.
   */
  public void remove(String model, long version, String keepAs) throws IOException {
    Path directory = root.resolve(model).resolve(Long.toString(version));
    if (!Files.exists(directory)) {
      return;
    }
    Path aside =
        root.resolve(model)
            .resolve(
                "."
                    + (keepAs == null ? "removed" : keepAs)
                    + "-"
                    + version
                    + "-"
                    + System.nanoTime());
    Files.move(directory, aside, StandardCopyOption.ATOMIC_MOVE);
    if (keepAs == null) {
      DirectoryTrees.delete(aside);
    }
  }

  /** The text of a model's model.yaml; empty when it has none. */
  public String settingsText(String model) throws IOException {
    Path file = root.resolve(model).resolve(ModelSettingsFile.FILE_NAME);
    return Files.isRegularFile(file) ? Files.readString(file) : "";
  }

  /** Replaces a model's model.yaml with {@code text} (removes it when empty), atomically. */
  public void writeSettingsText(String model, String text) throws IOException {
    Path directory = root.resolve(model);
    Files.createDirectories(directory);
    Path file = directory.resolve(ModelSettingsFile.FILE_NAME);
    if (text.isEmpty()) {
      Files.deleteIfExists(file);
      return;
    }
    Path temporary = directory.resolve("." + ModelSettingsFile.FILE_NAME + ".tmp");
    Files.writeString(temporary, text);
    Files.move(
        temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Whether a version is marked pinned on this node's disk ({@code <model>/.pinned/<version>}), so
   * pins outlive the cluster that holds them.
   */
  public boolean pinned(String model, long version) {
    return Files.exists(root.resolve(model).resolve(PINS).resolve(Long.toString(version)));
  }

  public void setPinned(String model, long version, boolean pinned) throws IOException {
    Path marker = root.resolve(model).resolve(PINS).resolve(Long.toString(version));
    if (pinned) {
      Files.createDirectories(marker.getParent());
      if (!Files.exists(marker)) {
        Files.createFile(marker);
      }
    } else {
      Files.deleteIfExists(marker);
    }
  }

  /** Writes settings as a model's model.yaml. */
  public void writeSettings(String model, ModelSettings settings) throws IOException {
    settingsFile.write(root.resolve(model), settings);
  }

  /** Every model directory under the root, by name. */
  public Map<String, ModelSource> scan() throws IOException {
    Map<String, ModelSource> models = new TreeMap<>();
    if (!Files.isDirectory(root)) {
      throw new IOException("model repository " + root + " is not a directory");
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(root, Files::isDirectory)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (ModelNames.isValidName(name)) {
          models.put(name, read(name, entry));
        }
      }
    }
    return models;
  }

  /** One model directory, if it exists. */
  public Optional<ModelSource> scan(String name) throws IOException {
    if (!ModelNames.isValidName(name)) {
      return Optional.empty();
    }
    Path directory = root.resolve(name);
    return Files.isDirectory(directory) ? Optional.of(read(name, directory)) : Optional.empty();
  }

  private ModelSource read(String name, Path directory) throws IOException {
    NavigableSet<Long> versions = new TreeSet<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, Files::isDirectory)) {
      for (Path entry : entries) {
        String version = entry.getFileName().toString();
        if (ModelNames.isValidVersion(version)
            && (Files.exists(entry.resolve("saved_model.pb")) || HeadDefinition.existsIn(entry))) {
          versions.add(Long.parseLong(version));
        }
      }
    }
    try {
      return new ModelSource(name, directory, settingsFile.read(directory), null, versions);
    } catch (IOException e) {
      return new ModelSource(name, directory, ModelSettings.DEFAULT, e.getMessage(), versions);
    }
  }
}
