package io.tuneserve.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Reads the IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed). */
public final class IdxFiles {
  private static final int UNSIGNED_BYTE = 0x08;

  private IdxFiles() {}

  /** Reads an image file and its label file into one data set. */
  public static LabelledImages read(Path images, Path labels) throws IOException {
    try (DataInputStream imageIn = open(images);
        DataInputStream labelIn = open(labels)) {
      int[] imageDims = header(imageIn, images, 3);
      int[] labelDims = header(labelIn, labels, 1);
      if (imageDims[0] != labelDims[0]) {
        throw new IOException(
            images + " has " + imageDims[0] + " images but " + labels + " has " + labelDims[0]);
      }
      int count = imageDims[0];
      int height = imageDims[1];
      int width = imageDims[2];
      byte[] raw = new byte[count * height * width];
      imageIn.readFully(raw);
      float[] pixels = new float[raw.length];
      for (int i = 0; i < raw.length; i++) {
        pixels[i] = Byte.toUnsignedInt(raw[i]) / 255f;
      }
      byte[] rawLabels = new byte[count];
      labelIn.readFully(rawLabels);
      int[] labelValues = new int[count];
      for (int i = 0; i < count; i++) {
        labelValues[i] = Byte.toUnsignedInt(rawLabels[i]);
      }
      return new LabelledImages(count, height, width, pixels, labelValues);
    }
  }

  private static DataInputStream open(Path file) throws IOException {
    InputStream in = new BufferedInputStream(Files.newInputStream(file));
    if (file.getFileName().toString().endsWith(".gz")) {
      in = new GZIPInputStream(in);
    }
    return new DataInputStream(in);
  }

  private static int[] header(DataInputStream in, Path file, int rank) throws IOException {
    int magic = in.readInt();
    if ((magic >>> 16) != 0 || ((magic >> 8) & 0xff) != UNSIGNED_BYTE || (magic & 0xff) != rank) {
      throw new IOException(file + " is not an IDX file of unsigned bytes with rank " + rank);
    }
    int[] dims = new int[rank];
    for (int i = 0; i < rank; i++) {
      dims[i] = in.readInt();
    }
    return dims;
  }
}
