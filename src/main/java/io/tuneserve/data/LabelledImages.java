package io.tuneserve.data;

/**
 * Greyscale images with integer labels, pixels scaled to [0, 1], stored row-major in one array.
 *
 * @param pixels {@code count * height * width} values
 */
@SuppressWarnings("ArrayRecordComponent") // large data sets are shared, never copied
public record LabelledImages(int count, int height, int width, float[] pixels, int[] labels) {

  public LabelledImages {
    if (pixels.length != (long) count * height * width || labels.length != count) {
      throw new IllegalArgumentException("pixels and labels do not match " + count + " images");
    }
  }

  public int imageSize() {
    return height * width;
  }

  /** Copies images {@code [from, from + n)} into {@code out}. */
  public void copyPixels(int from, int n, float[] out) {
    System.arraycopy(pixels, from * imageSize(), out, 0, n * imageSize());
  }
}
