package io.tuneserve.registry;

import io.tuneserve.repository.HeadDefinition;
import io.tuneserve.repository.VersionManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;

/** Builds the registry record of a version from its files and where they were stored. */
final class VersionRecords {
  private VersionRecords() {}

  static VersionRecord describe(
      String model,
      long version,
      VersionManifest manifest,
      StoredCheckpoint stored,
      Path directory,
      String lineage,
      boolean pinned,
      String node,
      Instant now)
      throws IOException {
    String headBase = null;
    if (HeadDefinition.existsIn(directory)) {
      HeadDefinition head = HeadDefinition.read(directory);
      headBase = VersionRecord.key(head.baseModel(), head.baseVersion());
    }
    return new VersionRecord(
        model,
        version,
        manifest.digest(),
        manifest.bytes(),
        manifest.files(),
        stored.store(),
        stored.location(),
        stored.inline(),
        lineage,
        headBase,
        pinned,
        now.toString(),
        node);
  }
}
