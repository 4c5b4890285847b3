package io.tuneserve.image;

import io.tuneserve.model.DType;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import io.tuneserve.repository.ModelSettings;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Turns PNG or JPEG bytes into a {@code [height, width, channels]} tensor as a model's image
 * settings describe: resized (bilinear; kept at its own size when the settings give none),
 * converted to greyscale or RGB, mapped to {@code pixel * scale + offset}. Images above a pixel
 * limit are refused before they are decoded.
 */
public final class ImageDecoder {
  private final ModelSettings.ImageInput settings;
  private final DType dtype;
  private final long maxPixels;

  public ImageDecoder(ModelSettings.ImageInput settings, DType dtype, long maxPixels) {
    if (dtype != DType.FP32 && dtype != DType.UINT8) {
      throw ServingException.invalid(
          "image input '"
              + settings.input()
              + "' has datatype "
              + dtype.oipName()
              + "; image preprocessing supports FP32 and UINT8 inputs");
    }
    this.settings = settings;
    this.dtype = dtype;
    this.maxPixels = maxPixels;
  }

  /**
   * The decoder for a model input when the model's settings declare image preprocessing for it, or
   * null.
   */
  public static ImageDecoder forInput(
      ModelSettings settings, String input, DType dtype, long maxPixels) {
    ModelSettings.ImageInput image = settings.image();
    if (image == null || dtype == DType.BYTES || !image.input().equals(input)) {
      return null;
    }
    return new ImageDecoder(image, dtype, maxPixels);
  }

  public TensorData decode(byte[] encoded) {
    BufferedImage source = read(encoded);
    boolean ownSize = settings.height() == 0 || settings.width() == 0;
    int height = ownSize ? source.getHeight() : settings.height();
    int width = ownSize ? source.getWidth() : settings.width();
    Pixels out = new Pixels(height * width * settings.channels());
    if (source.getType() == BufferedImage.TYPE_3BYTE_BGR
        && source.getWidth() == width
        && source.getHeight() == height) {
      // JPEG's usual layout at the input's size: the samples are already sRGB bytes, read row by
      // row (what getRGB would return, without its per-pixel colour-model calls).
      Raster raster = source.getRaster();
      int[] row = new int[width * 3];
      for (int y = 0; y < height; y++) {
        raster.getPixels(0, y, width, 1, row);
        for (int x = 0; x < width; x++) {
          out.put(row[3 * x], row[3 * x + 1], row[3 * x + 2]);
        }
      }
    } else {
      BufferedImage resized = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
      Graphics2D graphics = resized.createGraphics();
      try {
        graphics.setRenderingHint(
            RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        graphics.drawImage(source, 0, 0, width, height, null);
      } finally {
        graphics.dispose();
      }
      for (int rgb : ((DataBufferInt) resized.getRaster().getDataBuffer()).getData()) {
        out.put((rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff);
      }
    }
    long[] shape = {height, width, settings.channels()};
    return dtype == DType.UINT8
        ? TensorData.ofRaw(dtype, shape, out.bytes)
        : TensorData.ofFloats(shape, out.floats);
  }

  /** The decoded values in the input's dtype and channel layout, filled pixel by pixel. */
  private final class Pixels {
    private final byte[] bytes;
    private final float[] floats;
    private int next;

    Pixels(int count) {
      bytes = dtype == DType.UINT8 ? new byte[count] : null;
      floats = dtype == DType.UINT8 ? null : new float[count];
    }

    void put(int r, int g, int b) {
      if (settings.channels() == 1) {
        put(0.299 * r + 0.587 * g + 0.114 * b);
      } else {
        put(r);
        put(g);
        put(b);
      }
    }

    private void put(double pixel) {
      if (bytes != null) {
        bytes[next++] = (byte) Math.round(Math.min(255, Math.max(0, pixel)));
      } else {
        floats[next++] = (float) (pixel * settings.scale() + settings.offset());
      }
    }
  }

  private BufferedImage read(byte[] encoded) {
    return readImage(encoded, maxPixels);
  }

  /**
   * Decodes PNG or JPEG (or another format ImageIO reads) bytes, refusing images above {@code
   * maxPixels} before decoding them.
   */
  public static BufferedImage readImage(byte[] encoded, long maxPixels) {
    if (encoded.length == 0) {
      throw ServingException.invalid("the image is empty");
    }
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw ServingException.invalid("the image is not in a supported format (PNG or JPEG)");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
        if (pixels > maxPixels) {
          throw ServingException.invalid(
              "the image has " + pixels + " pixels; the limit is " + maxPixels);
        }
        return reader.read(0);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof ServingException serving) {
        throw serving;
      }
      throw ServingException.invalid("the image could not be decoded: " + e.getMessage());
    }
  }
}
