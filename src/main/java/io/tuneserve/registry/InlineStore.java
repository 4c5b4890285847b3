package io.tuneserve.registry;

import io.tuneserve.repository.VersionManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;

/** Keeps a small version's files (a head-only version's head.json) inside its registry record. */
final class InlineStore implements CheckpointStore {
  static final String KIND = "inline";

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public StoredCheckpoint put(String model, long version, Path directory, VersionManifest manifest)
      throws IOException {
    Map<String, String> files = new TreeMap<>();
    for (String file : manifest.files().keySet()) {
      files.put(
          file, Base64.getEncoder().encodeToString(Files.readAllBytes(directory.resolve(file))));
    }
    return new StoredCheckpoint(KIND, "", files);
  }

  @Override
  public void fetch(VersionRecord record, Path into) throws IOException {
    if (record.inline() == null) {
      throw new IOException("the registry record of " + record.key() + " has no inline files");
    }
    for (Map.Entry<String, String> file : record.inline().entrySet()) {
      Path target = Checkpoints.inside(into, file.getKey());
      Files.createDirectories(target.getParent());
      Files.write(target, Base64.getDecoder().decode(file.getValue()));
    }
  }

  @Override
  public void delete(VersionRecord record) {
    // the files go with the record
  }
}
