package io.tuneserve.registry;

import io.tuneserve.repository.VersionManifest;
import java.io.IOException;
import java.nio.file.Path;

/** Where the files of published versions live, so every node can fetch them. */
public interface CheckpointStore {
  /** The name recorded in {@link VersionRecord#store}. */
  String kind();

  /** Stores the files of a version directory, completely, before it is registered. */
  StoredCheckpoint put(String model, long version, Path directory, VersionManifest manifest)
      throws IOException;

  /** Writes a stored version's files into an empty directory (the caller checks the hashes). */
  void fetch(VersionRecord record, Path into) throws IOException;

  /** Removes a stored version's files. */
  void delete(VersionRecord record) throws IOException;
}
