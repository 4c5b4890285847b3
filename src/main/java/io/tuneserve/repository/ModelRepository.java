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

  /**
   * Makes a staged version visible as the model's next version, in one rename; writes the model's
   * model.yaml when it has none.
   *
   * @return the new version number
   */
  public synchronized long publish(String model, Path staged, ModelSettings settingsForNewModel)
      throws IOException {
    Path modelDirectory = root.resolve(model);
    long next =
        scan(model)
            .map(source -> source.versions())
            .filter(v -> !v.isEmpty())
            .map(v -> v.last() + 1)
            .orElse(1L);
    if (!Files.exists(modelDirectory.resolve(ModelSettingsFile.FILE_NAME))) {
      settingsFile.write(modelDirectory, settingsForNewModel);
    }
    Files.move(staged, modelDirectory.resolve(Long.toString(next)), StandardCopyOption.ATOMIC_MOVE);
    return next;
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
