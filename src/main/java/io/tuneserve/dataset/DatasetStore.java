package io.tuneserve.dataset;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.model.ServingException;
import io.tuneserve.repository.DirectoryTrees;
import io.tuneserve.repository.ModelNames;
import io.tuneserve.storage.NamedLocks;
import io.tuneserve.storage.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
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

/**
 * Datasets in an {@link ObjectStore} (a directory, or an S3 bucket every node shares), one folder
 * each: {@code <name>/segments/<sha256>.zip} holds the examples of one upload, {@code
 * <name>/versions/<n>.json} lists the segments of version n. An upload is written to a local
 * staging file first; only when all of it has been read and checked is its segment stored and a new
 * version written, so an upload that fails or is cut off leaves the dataset as it was. Changes to
 * one dataset take turns through {@link NamedLocks} (cluster-wide in a cluster). Segments read from
 * a store that is not a local directory are kept in a local cache, by content hash.
 */
public final class DatasetStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String STAGING = ".staging";
  private static final String CACHE = ".cache";

  private final ObjectStore objects;
  private final Path local;
  private final NamedLocks locks;
  private final long maxPixels;
  private final Clock clock;

  /** How an upload changes a dataset. */
  public enum Change {
    /** A new dataset; refused when the name is taken. */
    CREATE,
    /** A new dataset, or a new version holding only this upload. */
    REPLACE,
    /** A new version with this upload's examples after the current ones. */
    APPEND,
    /**
     * As {@link #APPEND}, creating the dataset when there is none, whatever labels it holds: for
     * datasets that grow an example at a time, such as a model's feedback.
     */
    ADD
  }

  /** Reads an upload's examples into a sink. */
  @FunctionalInterface
  public interface Upload {
    void readInto(ExampleSink sink) throws IOException;
  }

  /**
   * @param local this node's directory for uploads being received and for cached segments
   */
  public DatasetStore(
      ObjectStore objects, Path local, NamedLocks locks, long maxPixels, Clock clock) {
    this.objects = objects;
    this.local = local;
    this.locks = locks;
    this.maxPixels = maxPixels;
    this.clock = clock;
  }

  /** Datasets in a directory of this node alone (also their staging and cache). */
  public static DatasetStore inDirectory(Path root, long maxPixels, Clock clock) {
    return new DatasetStore(
        new io.tuneserve.storage.DirectoryObjectStore(root),
        root,
        NamedLocks.local(),
        maxPixels,
        clock);
  }

  /** A file in the staging folder for an upload to be streamed to; the caller deletes it. */
  public Path stagingFile(String suffix) throws IOException {
    Path staging = Files.createDirectories(local.resolve(STAGING));
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
      if ((change == Change.CREATE || change == Change.REPLACE) && segment.labels().size() < 2) {
        throw ServingException.invalid(
            "a dataset needs at least two labels to train a classifier; the upload names only "
                + segment.labels().keySet()
                + " (add more labels with POST /v1/datasets/"
                + name
                + "/examples once it exists)");
      }
      DatasetVersion.Segment stored = segment;
      return locks.locked(
          name,
          () -> {
            checkChange(name, change);
            String key = segmentKey(name, stored.sha256());
            if (!objects.children(name + "/segments/").contains(stored.sha256() + ".zip")) {
              objects.put(key, staged);
            }
            Optional<DatasetVersion> current = latest(name);
            List<DatasetVersion.Segment> all = new ArrayList<>();
            if (change == Change.APPEND || change == Change.ADD) {
              current.ifPresent(dataset -> all.addAll(dataset.segments()));
            }
            all.add(stored);
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
            objects.put(
                versionKey(name, next.version()),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(next));
            return next;
          });
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
    List<DatasetVersion> all = new ArrayList<>();
    for (String name : objects.children("")) {
      if (ModelNames.isValidName(name)) {
        latest(name).ifPresent(all::add);
      }
    }
    all.sort(Comparator.comparing(DatasetVersion::name));
    return all;
  }

  /** The dataset's newest version. */
  public Optional<DatasetVersion> latest(String name) {
    List<Long> numbers = versionNumbers(name);
    return numbers.isEmpty() ? Optional.empty() : version(name, numbers.get(numbers.size() - 1));
  }

  /** One version of a dataset. */
  public Optional<DatasetVersion> version(String name, long version) {
    checkName(name);
    try {
      Optional<byte[]> content = objects.read(versionKey(name, version));
      return content.isEmpty()
          ? Optional.empty()
          : Optional.of(JSON.readValue(content.get(), DatasetVersion.class));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The version a request names: {@code version}, or the newest when that is null; not found (404)
   * naming what is missing otherwise.
   */
  public DatasetVersion resolve(String name, Long version) {
    checkName(name);
    if (version == null) {
      return latest(name).orElseThrow(() -> ServingException.notFound("no dataset " + name));
    }
    return version(name, version)
        .orElseThrow(
            () ->
                ServingException.notFound(
                    latest(name).isEmpty()
                        ? "no dataset " + name
                        : "dataset " + name + " has no version " + version));
  }

  /** A dataset's versions, oldest first; empty when there is no such dataset. */
  public List<DatasetVersion> versions(String name) {
    List<DatasetVersion> all = new ArrayList<>();
    for (long number : versionNumbers(name)) {
      version(name, number).ifPresent(all::add);
    }
    return all;
  }

  private List<Long> versionNumbers(String name) {
    checkName(name);
    try {
      return objects.children(name + "/versions/").stream()
          .filter(file -> file.matches("[0-9]+\\.json"))
          .map(file -> Long.parseLong(file.substring(0, file.length() - 5)))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Removes a dataset and all its versions; false when there was none. */
  public boolean delete(String name) throws IOException {
    checkName(name);
    return locks.locked(
        name,
        () -> {
          if (objects.children(name + "/").isEmpty()) {
            return false;
          }
          // The versions first: once they are gone the dataset is, whatever happens next.
          objects.deleteAll(name + "/versions/");
          objects.deleteAll(name + "/");
          DirectoryTrees.delete(local.resolve(CACHE).resolve(name));
          return true;
        });
  }

  /** Opens a version's examples for reading, fetching segments this node has not got. */
  public DatasetReader open(DatasetVersion version) throws IOException {
    List<Path> files = new ArrayList<>();
    for (DatasetVersion.Segment segment : version.segments()) {
      files.add(segmentFile(version.name(), segment.sha256()));
    }
    return new DatasetReader(version, files);
  }

  /** A segment as a local file: in place in a directory store, else cached by its sha256. */
  private Path segmentFile(String name, String sha256) throws IOException {
    String key = segmentKey(name, sha256);
    Optional<Path> inPlace = objects.localFile(key);
    if (inPlace.isPresent()) {
      return inPlace.get();
    }
    Path cached = local.resolve(CACHE).resolve(name).resolve(sha256 + ".zip");
    if (Files.isRegularFile(cached)) {
      return cached;
    }
    Files.createDirectories(cached.getParent());
    Path partial = stagingFile(".segment");
    try {
      objects.download(key, partial);
      move(partial, cached);
    } finally {
      Files.deleteIfExists(partial);
    }
    return cached;
  }

  private static String segmentKey(String name, String sha256) {
    return name + "/segments/" + sha256 + ".zip";
  }

  private static String versionKey(String name, long version) {
    return name + "/versions/" + String.format(java.util.Locale.ROOT, "%06d.json", version);
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
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
