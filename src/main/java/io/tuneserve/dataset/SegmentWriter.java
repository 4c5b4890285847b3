package io.tuneserve.dataset;

import io.tuneserve.image.ImageDecoder;
import io.tuneserve.model.ServingException;
import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes the examples of one upload into a segment file as they arrive, one at a time: a zip
 * archive of {@code <label>/<n>.<format>} entries, stored as they came (images are compressed
 * already). Each image is decoded once on the way in, so an undecodable one is refused with the
 * name of the example, before anything is kept.
 */
final class SegmentWriter implements AutoCloseable {
  /** The longest label, in characters. */
  static final int MAX_LABEL_LENGTH = 200;

  private final Path file;
  private final MessageDigest digest;
  private final ZipOutputStream zip;
  private final long maxPixels;
  private final SortedMap<String, Long> labels = new TreeMap<>();
  private long examples;

  SegmentWriter(Path file, long maxPixels) throws IOException {
    this.file = file;
    this.maxPixels = maxPixels;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    OutputStream out =
        new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(file)), digest);
    zip = new ZipOutputStream(out);
    zip.setMethod(ZipOutputStream.STORED);
  }

  /**
   * Adds one example.
   *
   * @param source how the user knows the example (an archive entry, a line, a form field), for
   *     messages
   */
  void add(String label, String source, byte[] image) throws IOException {
    checkLabel(label, source);
    String format;
    try {
      BufferedImage decoded = ImageDecoder.readImage(image, maxPixels);
      if (decoded == null) {
        throw ServingException.invalid("the image could not be decoded");
      }
      format = ImageFormats.of(image);
    } catch (ServingException e) {
      throw ServingException.invalid("example " + source + ": " + e.getMessage());
    }
    ZipEntry entry =
        new ZipEntry(
            URLEncoder.encode(label, StandardCharsets.UTF_8) + "/" + examples + "." + format);
    CRC32 crc = new CRC32();
    crc.update(image);
    entry.setSize(image.length);
    entry.setCompressedSize(image.length);
    entry.setCrc(crc.getValue());
    zip.putNextEntry(entry);
    zip.write(image);
    zip.closeEntry();
    labels.merge(label, 1L, Long::sum);
    examples++;
  }

  static void checkLabel(String label, String source) {
    if (label.isBlank() || label.length() > MAX_LABEL_LENGTH) {
      throw ServingException.invalid(
          "example "
              + source
              + ": a label must be 1 to "
              + MAX_LABEL_LENGTH
              + " characters, not blank");
    }
    if (label.chars().anyMatch(Character::isISOControl)) {
      throw ServingException.invalid("example " + source + ": the label has control characters");
    }
  }

  long examples() {
    return examples;
  }

  /** Finishes the file and describes it. */
  DatasetVersion.Segment finish() throws IOException {
    zip.finish();
    zip.close();
    return new DatasetVersion.Segment(
        HexFormat.of().formatHex(digest.digest()), examples, Files.size(file), labels);
  }

  @Override
  public void close() throws IOException {
    zip.close();
  }
}
