package io.tuneserve.registry;

import io.tuneserve.repository.VersionManifest;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Chooses where a version's files go: small ones inline in the registry record, others in the
 * configured store; and fetches them back from wherever the record says they are.
 */
public final class Checkpoints {
  private final CheckpointStore inline = new InlineStore();
  private final CheckpointStore store;
  private final long inlineMaxBytes;

  public Checkpoints(CheckpointStore store, long inlineMaxBytes) {
    this.store = store;
    this.inlineMaxBytes = inlineMaxBytes;
  }

  public StoredCheckpoint put(String model, long version, Path directory, VersionManifest manifest)
      throws IOException {
    return (manifest.bytes() <= inlineMaxBytes ? inline : store)
        .put(model, version, directory, manifest);
  }

  public void fetch(VersionRecord record, Path into) throws IOException {
    storeOf(record).fetch(record, into);
  }

  public void delete(VersionRecord record) throws IOException {
    storeOf(record).delete(record);
  }

  private CheckpointStore storeOf(VersionRecord record) throws IOException {
    if (record.store().equals(inline.kind())) {
      return inline;
    }
    if (record.store().equals(store.kind())) {
      return store;
    }
    throw new IOException(
        record.key()
            + " is in the "
            + record.store()
            + " checkpoint store; this node uses the "
            + store.kind()
            + " store");
  }

  /** {@code relative} resolved under {@code root}, refusing paths that would leave it. */
  public static Path inside(Path root, String relative) throws IOException {
    Path resolved = root.resolve(relative).normalize();
    if (!resolved.startsWith(root.normalize()) || resolved.equals(root.normalize())) {
      throw new IOException("checkpoint path " + relative + " leaves its directory");
    }
    return resolved;
  }
}
