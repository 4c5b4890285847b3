package io.tuneserve.storage;

import io.tuneserve.repository.DirectoryTrees;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Objects as files under a directory, {@code <root>/<key>}: each written under a hidden name and
 * renamed into place, so it appears whole. Names starting with a dot are the store's own (partial
 * writes, staging) and never listed.
 */
public final class DirectoryObjectStore implements ObjectStore {
  public static final String KIND = "directory";
  private final Path root;

  public DirectoryObjectStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public void put(String key, Path file) throws IOException {
    Path target = resolve(key);
    Files.createDirectories(target.getParent());
    Path partial = target.resolveSibling(".partial-" + UUID.randomUUID());
    try {
      Files.copy(file, partial, StandardCopyOption.REPLACE_EXISTING);
      move(partial, target);
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    Path target = resolve(key);
    Files.createDirectories(target.getParent());
    Path partial = target.resolveSibling(".partial-" + UUID.randomUUID());
    try {
      Files.write(partial, content);
      move(partial, target);
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  @Override
  public Optional<byte[]> read(String key) throws IOException {
    Path file = resolve(key);
    try {
      return Optional.of(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public void download(String key, Path file) throws IOException {
    Files.copy(resolve(key), file, StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public List<String> children(String prefix) throws IOException {
    Path folder = prefix.isEmpty() ? root : resolve(prefix);
    if (!Files.isDirectory(folder)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(folder)) {
      return entries
          .map(p -> p.getFileName().toString())
          .filter(name -> !name.startsWith("."))
          .sorted()
          .toList();
    }
  }

  @Override
  public void delete(String key) throws IOException {
    Files.deleteIfExists(resolve(key));
  }

  @Override
  public void deleteAll(String prefix) throws IOException {
    Path folder = resolve(prefix);
    if (!Files.exists(folder)) {
      return;
    }
    // Moved aside first, so the folder is gone at once even while its files are being removed.
    Path gone = folder.resolveSibling(".deleted-" + UUID.randomUUID());
    move(folder, gone);
    DirectoryTrees.delete(gone);
  }

  @Override
  public Optional<Path> localFile(String key) {
    try {
      Path file = resolve(key);
      return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private Path resolve(String key) throws IOException {
    String trimmed = key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
    Path resolved = root.resolve(trimmed).normalize();
    if (trimmed.isEmpty() || !resolved.startsWith(root) || resolved.equals(root)) {
      throw new IOException("object key '" + key + "' leaves the store's directory");
    }
    return resolved;
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
