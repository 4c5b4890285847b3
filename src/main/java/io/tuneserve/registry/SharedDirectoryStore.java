package io.tuneserve.registry;

import io.tuneserve.repository.DirectoryTrees;
import io.tuneserve.repository.VersionManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * Checkpoints in a directory every node mounts (an NFS export, a Kubernetes volume): {@code
 * <root>/<model>/<version>-<upload id>/}, written under a hidden name and renamed when complete.
 */
public final class SharedDirectoryStore implements CheckpointStore {
  static final String KIND = "shared";
  private final Path root;

  public SharedDirectoryStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public StoredCheckpoint put(String model, long version, Path directory, VersionManifest manifest)
      throws IOException {
    String name = version + "-" + UUID.randomUUID();
    Path modelDirectory = root.resolve(model);
    Path partial = modelDirectory.resolve(".partial-" + name);
    Files.createDirectories(partial);
    try {
      for (String file : manifest.files().keySet()) {
        Path target = Checkpoints.inside(partial, file);
        Files.createDirectories(target.getParent());
        Files.copy(directory.resolve(file), target, StandardCopyOption.REPLACE_EXISTING);
      }
      Files.move(partial, modelDirectory.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      DirectoryTrees.delete(partial);
      throw e;
    }
    return new StoredCheckpoint(KIND, model + "/" + name, null);
  }

  @Override
  public void fetch(VersionRecord record, Path into) throws IOException {
    Path stored = Checkpoints.inside(root, record.location());
    if (!Files.isDirectory(stored)) {
      throw new IOException("the shared store has no " + stored);
    }
    for (String file : record.files().keySet()) {
      Path target = Checkpoints.inside(into, file);
      Files.createDirectories(target.getParent());
      Path source = stored.resolve(file);
      if (Files.exists(source)) {
        Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  @Override
  public void delete(VersionRecord record) throws IOException {
    DirectoryTrees.delete(Checkpoints.inside(root, record.location()));
  }
}
