package io.tuneserve.repository;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A directory in TF Serving's layout: {@code <root>/<model>/<version>/saved_model.pb}, with an
 * optional {@code <root>/<model>/model.yaml}.
 */
public final class ModelRepository {
  private final Path root;
  private final ModelSettingsReader settingsReader = new ModelSettingsReader();

  public ModelRepository(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
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
        if (ModelNames.isValidVersion(version) && Files.exists(entry.resolve("saved_model.pb"))) {
          versions.add(Long.parseLong(version));
        }
      }
    }
    try {
      return new ModelSource(name, directory, settingsReader.read(directory), null, versions);
    } catch (IOException e) {
      return new ModelSource(name, directory, ModelSettings.DEFAULT, e.getMessage(), versions);
    }
  }
}
