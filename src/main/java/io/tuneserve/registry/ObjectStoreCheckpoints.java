package io.tuneserve.registry;

import io.tuneserve.repository.VersionManifest;
import io.tuneserve.storage.ObjectStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Checkpoints as objects, {@code checkpoints/<model>/<version>-<upload id>/<file>}: every file is
 * stored before the version is registered, so no node sees part of one.
 */
public final class ObjectStoreCheckpoints implements CheckpointStore {
  private static final String FOLDER = "checkpoints/";
  private final ObjectStore objects;

  public ObjectStoreCheckpoints(ObjectStore objects) {
    this.objects = objects;
  }

  @Override
  public String kind() {
    return objects.kind();
  }

  @Override
  public StoredCheckpoint put(String model, long version, Path directory, VersionManifest manifest)
      throws IOException {
    String location = model + "/" + version + "-" + UUID.randomUUID();
    try {
      for (String file : manifest.files().keySet()) {
        Checkpoints.inside(directory, file);
        objects.put(FOLDER + location + "/" + file, directory.resolve(file));
      }
    } catch (IOException e) {
      objects.deleteAll(FOLDER + location + "/");
      throw e;
    }
    return new StoredCheckpoint(kind(), location, null);
  }

  @Override
  public void fetch(VersionRecord record, Path into) throws IOException {
    for (String file : record.files().keySet()) {
      Path target = Checkpoints.inside(into, file);
      Files.createDirectories(target.getParent());
      objects.download(FOLDER + record.location() + "/" + file, target);
    }
  }

  @Override
  public void delete(VersionRecord record) throws IOException {
    if (record.location().contains("..")) {
      throw new IOException("checkpoint location " + record.location() + " leaves its folder");
    }
    objects.deleteAll(FOLDER + record.location() + "/");
  }
}
