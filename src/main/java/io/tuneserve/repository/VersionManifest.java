package io.tuneserve.repository;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The sha256 of every file of a published version, written next to them as {@code manifest.json}. A
 * version with a manifest is loaded only if its files still match it, so a corrupted or half-copied
 * checkpoint is refused instead of served.
 *
 * @param files relative path to sha256, for every file but the manifest itself
 */
public record VersionManifest(
    @JsonProperty("files") Map<String, String> files, @JsonProperty("bytes") long bytes) {

  public static final String FILE_NAME = "manifest.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Hashes every file under {@code directory}. */
  public static VersionManifest of(Path directory) throws IOException {
    Map<String, String> files = new TreeMap<>();
    long bytes = 0;
    try (Stream<Path> paths = Files.walk(directory)) {
      for (Path file : (Iterable<Path>) paths.filter(Files::isRegularFile)::iterator) {
        String relative =
            directory.relativize(file).toString().replace(java.io.File.separatorChar, '/');
        if (!relative.equals(FILE_NAME)) {
          files.put(relative, sha256(file));
          bytes += Files.size(file);
        }
      }
    }
    return new VersionManifest(files, bytes);
  }

  public static Optional<VersionManifest> read(Path directory) throws IOException {
    Path file = directory.resolve(FILE_NAME);
    return Files.isRegularFile(file)
        ? Optional.of(JSON.readValue(file.toFile(), VersionManifest.class))
        : Optional.empty();
  }

  public void write(Path directory) throws IOException {
    JSON.writeValue(directory.resolve(FILE_NAME).toFile(), this);
  }

  /**
   * The checkpoint's sha256: the hash of every file's path and hash, in path order, so two copies
   * of a version have the same digest exactly when all their files are equal.
   */
  public String digest() {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, String> file : new TreeMap<>(files).entrySet()) {
        digest.update(
            (file.getKey() + "\0" + file.getValue() + "\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What differs between this manifest and the files now in {@code directory}; empty if none. */
  public List<String> differences(Path directory) throws IOException {
    return differences(of(directory));
  }

  /** What differs between this manifest and {@code now}, one made of the files as they are. */
  public List<String> differences(VersionManifest now) {
    List<String> differences = new ArrayList<>();
    files.forEach(
        (path, hash) -> {
          String current = now.files().get(path);
          if (current == null) {
            differences.add(path + " is missing");
          } else if (!current.equals(hash)) {
            differences.add("sha256 of " + path + " does not match the manifest");
          }
        });
    now.files().keySet().stream()
        .filter(path -> !files.containsKey(path))
        .forEach(path -> differences.add(path + " is not in the manifest"));
    return differences;
  }

  private static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] chunk = new byte[65536];
      int n;
      while ((n = in.read(chunk)) > 0) {
        digest.update(chunk, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
