package io.tuneserve.training;

import io.tuneserve.model.DType;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Random changes to training images, drawn anew each time a batch is made: a crop scaled back to
 * full size, a left-right mirror, a small rotation, and a change of brightness and contrast. The
 * geometry is one affine map per image, sampled bilinearly, with the border pixels repeated where
 * the map reaches outside the image.
 *
 * @param crop the largest share of each side a crop cuts away (0.1: the crop keeps 90 % to 100 % of
 *     the height and width, anywhere in the image); 0 for none
 * @param flip whether half the images are mirrored left to right
 * @param rotationDegrees the largest rotation either way
 * @param brightness the largest shift of brightness, as a share of the image's value range
 * @param contrast the largest change of contrast around the image's mean (0.2: 0.8x to 1.2x)
 */
public record Augmentation(
    double crop, boolean flip, double rotationDegrees, double brightness, double contrast) {

  /** No changes. */
  public static final Augmentation NONE = new Augmentation(0, false, 0, 0, 0);

  /**
   * What a small dataset gets unless its job says otherwise: crops and changes of brightness and
   * contrast. Flips and rotations are left to jobs that ask for them: many image sets hold their
   * objects one way round (shoes pointing left, text, digits), and mirrored or turned examples then
   * teach views that never come (measured in load-tests/RESULTS.md).
   */
  public static final Augmentation SMALL_DATA = new Augmentation(0.1, false, 0, 0.1, 0.2);

  /** Checks the ranges. */
  public Augmentation {
    require(crop >= 0 && crop <= 0.5, "augmentation crop must be in [0, 0.5], got " + crop);
    require(
        rotationDegrees >= 0 && rotationDegrees <= 45,
        "augmentation rotation_degrees must be in [0, 45], got " + rotationDegrees);
    require(
        brightness >= 0 && brightness <= 1,
        "augmentation brightness must be in [0, 1], got " + brightness);
    require(
        contrast >= 0 && contrast <= 1, "augmentation contrast must be in [0, 1], got " + contrast);
  }

  /**
   * What a job gets: {@code requested} when it names one, else {@link #SMALL_DATA} for a training
   * set with fewer than {@link StrategyDecision#LARGE_PER_CLASS} examples in its smallest class and
   * {@link #NONE} for a larger one.
   */
  public static Augmentation forJob(Augmentation requested, LabelledExamples training) {
    if (requested != null) {
      return requested;
    }
    int[] counts = new int[training.classNames().size()];
    for (int label : training.labels()) {
      counts[label]++;
    }
    int smallest = Integer.MAX_VALUE;
    for (int count : counts) {
      smallest = Math.min(smallest, count);
    }
    return smallest < StrategyDecision.LARGE_PER_CLASS ? SMALL_DATA : NONE;
  }

  public boolean isNone() {
    return crop == 0 && !flip && rotationDegrees == 0 && brightness == 0 && contrast == 0;
  }

  /**
   * A changed copy of a batch {@code [n, height, width, channels]} of FP32 or UINT8 images, each
   * changed independently with draws from {@code random}.
   */
  public TensorData apply(TensorData batch, Random random) {
    Random[] randoms = new Random[batch.rank() < 1 ? 0 : (int) batch.dim(0)];
    java.util.Arrays.fill(randoms, random);
    return apply(batch, randoms);
  }

  /**
   * A changed copy of a batch, image {@code i} changed with draws from {@code randoms[i]}, or left
   * as it is where that is null.
   */
  public TensorData apply(TensorData batch, Random[] randoms) {
    if (batch.rank() != 4 || (batch.dtype() != DType.FP32 && batch.dtype() != DType.UINT8)) {
      throw ServingException.invalid(
          "augmentation works on images [batch, height, width, channels] of FP32 or UINT8, not "
              + batch);
    }
    int n = (int) batch.dim(0);
    int height = (int) batch.dim(1);
    int width = (int) batch.dim(2);
    int channels = (int) batch.dim(3);
    int size = height * width * channels;
    boolean bytes = batch.dtype() == DType.UINT8;
    ByteBuffer in = batch.littleEndian();
    byte[] raw = new byte[batch.raw().length];
    ByteBuffer out = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    float[] source = new float[size];
    float[] changed = new float[size];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < size; k++) {
        int at = i * size + k;
        source[k] = bytes ? Byte.toUnsignedInt(in.get(at)) : in.getFloat(at * 4);
      }
      if (randoms[i] == null) {
        System.arraycopy(source, 0, changed, 0, size);
      } else {
        change(source, changed, height, width, channels, randoms[i]);
      }
      for (int k = 0; k < size; k++) {
        int at = i * size + k;
        if (bytes) {
          out.put(at, (byte) Math.max(0, Math.min(255, Math.round(changed[k]))));
        } else {
          out.putFloat(at * 4, changed[k]);
        }
      }
    }
    return TensorData.ofRaw(batch.dtype(), batch.shape(), raw);
  }

  /** One image, {@code [height, width, channels]} row-major, into {@code out}. */
  void change(float[] image, float[] out, int height, int width, int channels, Random random) {
    double keep = 1 - crop * random.nextDouble();
    double shiftX = (random.nextDouble() * 2 - 1) * (1 - keep) * width / 2;
    double shiftY = (random.nextDouble() * 2 - 1) * (1 - keep) * height / 2;
    double angle = Math.toRadians((random.nextDouble() * 2 - 1) * rotationDegrees);
    double mirror = flip && random.nextBoolean() ? -1 : 1;
    double cos = Math.cos(angle) * keep;
    double sin = Math.sin(angle) * keep;
    double centreX = (width - 1) / 2.0;
    double centreY = (height - 1) / 2.0;
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        double dx = mirror * (x - centreX);
        double dy = y - centreY;
        double sourceX = centreX + shiftX + cos * dx - sin * dy;
        double sourceY = centreY + shiftY + sin * dx + cos * dy;
        sample(image, out, (y * width + x) * channels, sourceX, sourceY, height, width, channels);
      }
    }
    adjustTone(image, out, random);
  }

  /** Bilinear interpolation at {@code (x, y)}, border pixels repeated outside the image. */
  private static void sample(
      float[] image, float[] out, int at, double x, double y, int height, int width, int channels) {
    double cx = Math.max(0, Math.min(width - 1, x));
    double cy = Math.max(0, Math.min(height - 1, y));
    int x0 = (int) Math.floor(cx);
    int y0 = (int) Math.floor(cy);
    int x1 = Math.min(width - 1, x0 + 1);
    int y1 = Math.min(height - 1, y0 + 1);
    double fx = cx - x0;
    double fy = cy - y0;
    for (int c = 0; c < channels; c++) {
      double top =
          image[(y0 * width + x0) * channels + c] * (1 - fx)
              + image[(y0 * width + x1) * channels + c] * fx;
      double bottom =
          image[(y1 * width + x0) * channels + c] * (1 - fx)
              + image[(y1 * width + x1) * channels + c] * fx;
      out[at + c] = (float) (top * (1 - fy) + bottom * fy);
    }
  }

  /**
   * Contrast scaled around the mean and brightness shifted by a share of the original image's value
   * range, kept within that range.
   */
  private void adjustTone(float[] original, float[] out, Random random) {
    if (brightness == 0 && contrast == 0) {
      return;
    }
    float low = Float.MAX_VALUE;
    float high = -Float.MAX_VALUE;
    for (float v : original) {
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
    double mean = 0;
    for (float v : out) {
      mean += v;
    }
    mean /= out.length;
    double factor = 1 + (random.nextDouble() * 2 - 1) * contrast;
    double shift = (random.nextDouble() * 2 - 1) * brightness * (high - low);
    for (int k = 0; k < out.length; k++) {
      double v = (out[k] - mean) * factor + mean + shift;
      out[k] = (float) Math.max(low, Math.min(high, v));
    }
  }

  /** The settings as the API names them, for job documents and lineage. */
  public java.util.Map<String, Object> toMap() {
    java.util.Map<String, Object> map = new java.util.LinkedHashMap<>();
    map.put("crop", crop);
    map.put("flip", flip);
    map.put("rotation_degrees", rotationDegrees);
    map.put("brightness", brightness);
    map.put("contrast", contrast);
    return map;
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw ServingException.invalid(message);
    }
  }
}
