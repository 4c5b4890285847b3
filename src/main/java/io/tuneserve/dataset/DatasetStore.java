package io.tuneserve.dataset;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.model.ServingException;
import io.tuneserve.repository.DirectoryTrees;
import io.tuneserve.repository.ModelNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Datasets on disk, one folder each: {@code segments/<sha256>.zip} holds the examples of one
 * upload, {@code versions/<n>.json} lists the segments of version n. An upload is written to a
 * staging file first; only when all of it has been read and checked is it moved into place and a
 * new version written (atomically, by rename), so an upload that fails or is cut off leaves the
 * dataset as it was.
 */
public final class DatasetStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String STAGING = ".staging";

  private final Path root;
  private final long maxPixels;
  private final Clock clock;
  private final ConcurrentHashMap<String, Object> locks = new ConcurrentHashMap<>();

  /** How an upload changes a dataset. */
  public enum Change {
    /** A new dataset; refused when the name is taken. */
    CREATE,
    /** A new dataset, or a new version holding only this upload. */
    REPLACE,
    /** A new version with this upload's examples after the current ones. */
    APPEND
  }

  /** Reads an upload's examples into a sink. */
  @FunctionalInterface
  public interface Upload {
    void readInto(ExampleSink sink) throws IOException;
  }

  public DatasetStore(Path root, long maxPixels, Clock clock) {
    this.root = root;
    this.maxPixels = maxPixels;
    this.clock = clock;
  }

  /** A file in the staging folder for an upload to be streamed to; the caller deletes it. */
  public Path stagingFile(String suffix) throws IOException {
    Path staging = Files.createDirectories(root.resolve(STAGING));
    return Files.createTempFile(staging, "upload-", suffix);
  }

  /** Checks a dataset name before anything is read or written for it. */
  public static void checkName(String name) {
    if (name == null || !ModelNames.isValidName(name)) {
      throw ServingException.invalid(
          "a dataset name is letters, digits, '_', '-' and '.', got '" + name + "'");
    }
  }

  /** Reads an upload into a segment and records it as the dataset's next version. */
  public DatasetVersion write(String name, Change change, Upload upload) throws IOException {
    checkName(name);
    checkChange(name, change);
    Path staged = stagingFile(".zip");
    try {
      DatasetVersion.Segment segment;
      try (SegmentWriter writer = new SegmentWriter(staged, maxPixels)) {
        upload.readInto(writer::add);
        if (writer.examples() == 0) {
          throw ServingException.invalid("the upload holds no examples");
        }
        segment = writer.finish();
      }
      if (change != Change.APPEND && segment.labels().size() < 2) {
        throw ServingException.invalid(
            "a dataset needs at least two labels to train a classifier; the upload names only "
                + segment.labels().keySet()
                + " (add more labels with POST /v1/datasets/"
                + name
                + "/examples once it exists)");
      }
      synchronized (lockOf(name)) {
        checkChange(name, change);
        Path segments = Files.createDirectories(folder(name).resolve("segments"));
        Path target = segments.resolve(segment.sha256() + ".zip");
        if (!Files.exists(target)) {
          move(staged, target);
        }
        Optional<DatasetVersion> current = latest(name);
        List<DatasetVersion.Segment> all = new ArrayList<>();
        if (change == Change.APPEND) {
          all.addAll(current.orElseThrow().segments());
        }
        all.add(segment);
        String now = clock.instant().toString();
        DatasetVersion next =
            new DatasetVersion(
                name,
                current.map(DatasetVersion::version).orElse(0L) + 1,
                all.stream().mapToLong(DatasetVersion.Segment::examples).sum(),
                all.stream().mapToLong(DatasetVersion.Segment::bytes).sum(),
                sha256(all),
                DatasetVersion.labelsOf(all),
                current.map(DatasetVersion::createdAt).orElse(now),
                now,
                all);
        writeVersion(next);
        return next;
      }
    } finally {
      Files.deleteIfExists(staged);
    }
  }

  private void checkChange(String name, Change change) {
    boolean exists = latest(name).isPresent();
    if (change == Change.CREATE && exists) {
      throw ServingException.conflict(
          "dataset "
              + name
              + " exists; PUT replaces it, POST /v1/datasets/"
              + name
              + "/examples adds to it");
    }
    if (change == Change.APPEND && !exists) {
      throw ServingException.notFound("no dataset " + name);
    }
  }

  /** Every dataset's newest version, by name. */
  public List<DatasetVersion> list() throws IOException {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    List<DatasetVersion> all = new ArrayList<>();
    try (DirectoryStream<Path> folders = Files.newDirectoryStream(root)) {
      for (Path folder : folders) {
        String name = folder.getFileName().toString();
        if (ModelNames.isValidName(name) && !name.startsWith(".")) {
          latest(name).ifPresent(all::add);
        }
      }
    }
    all.sort(Comparator.comparing(DatasetVersion::name));
    return all;
  }

  /** The dataset's newest version. */
  public Optional<DatasetVersion> latest(String name) {
    List<DatasetVersion> all = versions(name);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** One version of a dataset. */
  public Optional<DatasetVersion> version(String name, long version) {
    checkName(name);
    Path file = versionFile(name, version);
    return Files.isRegularFile(file) ? Optional.of(readVersion(file)) : Optional.empty();
  }

  /** A dataset's versions, oldest first; empty when there is no such dataset. */
  public List<DatasetVersion> versions(String name) {
    checkName(name);
    Path versions = folder(name).resolve("versions");
    if (!Files.isDirectory(versions)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(versions)) {
      return files
          .filter(f -> f.getFileName().toString().matches("[0-9]+\\.json"))
          .map(DatasetStore::readVersion)
          .sorted(Comparator.comparingLong(DatasetVersion::version))
          .toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Removes a dataset and all its versions; false when there was none. */
  public boolean delete(String name) throws IOException {
    checkName(name);
    synchronized (lockOf(name)) {
      Path folder = folder(name);
      if (!Files.isDirectory(folder)) {
        return false;
      }
      Path gone =
          Files.createDirectories(root.resolve(STAGING)).resolve("deleted-" + UUID.randomUUID());
      move(folder, gone);
      DirectoryTrees.delete(gone);
      return true;
    }
  }

  /** Opens a version's examples for reading. */
  public DatasetReader open(DatasetVersion version) throws IOException {
    List<Path> files = new ArrayList<>();
    for (DatasetVersion.Segment segment : version.segments()) {
      files.add(folder(version.name()).resolve("segments").resolve(segment.sha256() + ".zip"));
    }
    return new DatasetReader(version, files);
  }

  private Object lockOf(String name) {
    return locks.computeIfAbsent(name, n -> new Object());
  }

  private Path folder(String name) {
    return root.resolve(name);
  }

  private Path versionFile(String name, long version) {
    return folder(name).resolve("versions").resolve(String.format("%06d.json", version));
  }

  private void writeVersion(DatasetVersion version) throws IOException {
    Path file = versionFile(version.name(), version.version());
    Files.createDirectories(file.getParent());
    Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
    JSON.writerWithDefaultPrettyPrinter().writeValue(temporary.toFile(), version);
    move(temporary, file);
  }

  private static DatasetVersion readVersion(Path file) {
    try {
      return JSON.readValue(file.toFile(), DatasetVersion.class);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static String sha256(List<DatasetVersion.Segment> segments) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (DatasetVersion.Segment segment : segments) {
        digest.update((segment.sha256() + "\n").getBytes(StandardCharsets.US_ASCII));
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
