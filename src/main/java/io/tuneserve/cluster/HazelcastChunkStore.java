package io.tuneserve.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import io.tuneserve.registry.CheckpointStore;
import io.tuneserve.registry.Checkpoints;
import io.tuneserve.registry.StoredCheckpoint;
import io.tuneserve.registry.VersionRecord;
import io.tuneserve.repository.VersionManifest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Checkpoints kept in the cluster itself, for clusters without shared storage: each file in chunks
 * of at most 1 MB (Hazelcast's advice for entry sizes), each chunk with a backup on another member.
 * Keys are {@code <upload id>/<file index>/<chunk index>}; a version is registered only after all
 * its chunks are in, and the chunks of an upload cut short by a dead node are removed.
 */
final class HazelcastChunkStore implements CheckpointStore {
  static final String KIND = "replicated";
  static final int CHUNK_BYTES = 1 << 20;

  private final IMap<String, byte[]> chunks;
  private final IMap<String, String> uploads;
  private final String nodeId;

  HazelcastChunkStore(HazelcastInstance hazelcast) {
    this.chunks = hazelcast.getMap("tuneserve.checkpoint-chunks");
    this.uploads = hazelcast.getMap("tuneserve.checkpoint-uploads");
    this.nodeId = hazelcast.getCluster().getLocalMember().getUuid().toString();
    MemberDepartures.listen(hazelcast, member -> dropUploadsOf(member.getUuid().toString()));
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public StoredCheckpoint put(String model, long version, Path directory, VersionManifest manifest)
      throws IOException {
    String upload = UUID.randomUUID().toString();
    uploads.set(upload, nodeId);
    try {
      int fileIndex = 0;
      for (String file : manifest.files().keySet()) {
        try (InputStream in = Files.newInputStream(directory.resolve(file))) {
          // Every file has at least one chunk (an empty one for an empty file); a chunk shorter
          // than CHUNK_BYTES is the last.
          for (int chunkIndex = 0; ; chunkIndex++) {
            byte[] chunk = in.readNBytes(CHUNK_BYTES);
            if (chunk.length == 0 && chunkIndex > 0) {
              break;
            }
            chunks.set(upload + "/" + fileIndex + "/" + chunkIndex, chunk);
            if (chunk.length < CHUNK_BYTES) {
              break;
            }
          }
        }
        fileIndex++;
      }
    } catch (IOException | RuntimeException e) {
      removeChunks(upload);
      throw e;
    } finally {
      uploads.delete(upload);
    }
    return new StoredCheckpoint(KIND, upload, null);
  }

  @Override
  public void fetch(VersionRecord record, Path into) throws IOException {
    int fileIndex = 0;
    for (String file : record.files().keySet()) {
      Path target = Checkpoints.inside(into, file);
      Files.createDirectories(target.getParent());
      try (OutputStream out = Files.newOutputStream(target)) {
        for (int chunkIndex = 0; ; chunkIndex++) {
          byte[] chunk = chunks.get(record.location() + "/" + fileIndex + "/" + chunkIndex);
          if (chunk == null) {
            if (chunkIndex == 0) {
              throw new IOException(
                  "the replicated store has no chunks of " + file + " of " + record.key());
            }
            break;
          }
          out.write(chunk);
          if (chunk.length < CHUNK_BYTES) {
            break;
          }
        }
      }
      fileIndex++;
    }
  }

  @Override
  public void delete(VersionRecord record) {
    removeChunks(record.location());
  }

  private void removeChunks(String upload) {
    chunks.removeAll(Predicates.like("__key", upload + "/%"));
  }

  private void dropUploadsOf(String node) {
    List<String> orphaned = new ArrayList<>();
    uploads.forEach(
        (upload, owner) -> {
          if (owner.equals(node)) {
            orphaned.add(upload);
          }
        });
    for (String upload : orphaned) {
      removeChunks(upload);
      uploads.delete(upload);
    }
  }
}
