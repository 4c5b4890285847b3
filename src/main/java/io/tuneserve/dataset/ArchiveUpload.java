package io.tuneserve.dataset;

import io.tuneserve.model.ServingException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A zip archive of label folders ({@code sandal/0001.png}, or {@code shoes/sandal/0001.png}: the
 * image's own folder is its label). Folders and the files of archivers ({@code __MACOSX/}, {@code
 * .DS_Store}) are skipped. Read entry by entry from the file it was streamed to.
 */
public final class ArchiveUpload {
  private ArchiveUpload() {}

  public static void read(Path archive, long maxImageBytes, ExampleSink sink) throws IOException {
    try (ZipFile zip = new ZipFile(archive.toFile())) {
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry entry = entries.nextElement();
        String name = entry.getName();
        String[] parts = name.split("/");
        String fileName = parts[parts.length - 1];
        if (entry.isDirectory() || name.startsWith("__MACOSX/") || fileName.startsWith(".")) {
          continue;
        }
        if (parts.length < 2) {
          throw ServingException.invalid(
              "archive entry '"
                  + name
                  + "' is not in a folder; put each image in a folder named by its label");
        }
        try (InputStream in = zip.getInputStream(entry)) {
          sink.add(parts[parts.length - 2], "'" + name + "'", readLimited(in, maxImageBytes, name));
        }
      }
    } catch (ZipException e) {
      throw ServingException.invalid("the body is not a readable zip archive: " + e.getMessage());
    }
  }

  private static byte[] readLimited(InputStream in, long limit, String name) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] chunk = new byte[65536];
    int n;
    while ((n = in.read(chunk)) > 0) {
      if (out.size() + (long) n > limit) {
        throw ServingException.invalid(
            "archive entry '" + name + "' unpacks to more than " + limit + " bytes");
      }
      out.write(chunk, 0, n);
    }
    return out.toByteArray();
  }
}
