package io.tuneserve.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Durable storage of named immutable objects, every node of the cluster seeing the same ones: a
 * directory (on one node, or mounted by all) or an S3-compatible bucket. Keys are relative paths
 * ({@code a/b/c.json}); an object becomes visible whole, once written.
 */
public interface ObjectStore {
  /** The name of this kind of store in configuration and records. */
  String kind();

  /** Stores a file's content under {@code key}, replacing what was there. */
  void put(String key, Path file) throws IOException;

  /** Stores bytes under {@code key}, replacing what was there. */
  void put(String key, byte[] content) throws IOException;

  /** An object's content; empty when there is none. */
  Optional<byte[]> read(String key) throws IOException;

  /**
   * Writes an object's content to {@code file}; {@link java.nio.file.NoSuchFileException} if
   * absent.
   */
  void download(String key, Path file) throws IOException;

  /**
   * The names directly under a folder-like {@code prefix} (ending in {@code /}, or empty for the
   * top): objects and sub-folders alike, each once, sorted.
   */
  List<String> children(String prefix) throws IOException;

  /** Removes one object; nothing happens when there is none. */
  void delete(String key) throws IOException;

  /** Removes every object under {@code prefix} (ending in {@code /}). */
  void deleteAll(String prefix) throws IOException;

  /** The objects under {@code folder}, by keys relative to it. */
  default ObjectStore under(String folder) {
    return new Subfolder(this, folder);
  }

  /** The object as a local file that can be read in place, where the store keeps it as one. */
  default Optional<Path> localFile(String key) {
    return Optional.empty();
  }
}
