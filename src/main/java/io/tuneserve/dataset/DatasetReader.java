package io.tuneserve.dataset;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The examples of one dataset version, read from its segment files on demand: only the index of
 * entries is held in memory, each image is read when asked for. Safe for concurrent reads.
 */
public final class DatasetReader implements AutoCloseable {
  private final DatasetVersion version;
  private final List<ZipFile> files = new ArrayList<>();
  private final ZipFile[] fileOf;
  private final ZipEntry[] entries;
  private final int[] labels;

  DatasetReader(DatasetVersion version, List<Path> segments) throws IOException {
    this.version = version;
    int count = Math.toIntExact(version.examples());
    fileOf = new ZipFile[count];
    entries = new ZipEntry[count];
    labels = new int[count];
    List<String> classes = version.classNames();
    int next = 0;
    try {
      for (Path segment : segments) {
        ZipFile zip = new ZipFile(segment.toFile());
        files.add(zip);
        Enumeration<? extends ZipEntry> all = zip.entries();
        while (all.hasMoreElements()) {
          ZipEntry entry = all.nextElement();
          String label = entry.getName().substring(0, entry.getName().indexOf('/'));
          if (next == count) {
            throw new IOException("dataset " + name() + " holds more examples than its record");
          }
          fileOf[next] = zip;
          entries[next] = entry;
          labels[next] = classes.indexOf(URLDecoder.decode(label, StandardCharsets.UTF_8));
          next++;
        }
      }
      if (next != count) {
        throw new IOException("dataset " + name() + " holds fewer examples than its record");
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  public DatasetVersion version() {
    return version;
  }

  /** {@code name:version}, as jobs and messages name it. */
  public String name() {
    return version.name() + ":" + version.version();
  }

  public int count() {
    return labels.length;
  }

  /** The class index of each example, in {@link DatasetVersion#classNames()}. */
  public int[] labels() {
    return labels.clone();
  }

  /**
   * What identifies example {@code index}'s stored bytes without reading them: their CRC-32 and
   * size, as the dataset's zip segment records them.
   */
  public long contentKey(int index) {
    return entries[index].getCrc() << 32 | (entries[index].getSize() & 0xffffffffL);
  }

  /** The encoded image of example {@code index}. */
  public byte[] image(int index) {
    try (InputStream in = fileOf[index].getInputStream(entries[index])) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read example " + index + " of " + name(), e);
    }
  }

  @Override
  public void close() {
    for (ZipFile file : files) {
      try {
        file.close();
      } catch (IOException e) {
        // closing a read-only file: nothing to lose
      }
    }
  }
}
