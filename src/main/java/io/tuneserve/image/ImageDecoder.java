package io.tuneserve.image;

import io.tuneserve.model.DType;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import io.tuneserve.repository.ModelSettings;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Turns PNG or JPEG bytes into a {@code [height, width, channels]} tensor as a model's image
 * settings describe: resized (bilinear), converted to greyscale or RGB, mapped to {@code pixel *
 * scale + offset}. Images above a pixel limit are refused before they are decoded.
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
    int height = settings.height();
    int width = settings.width();
    int channels = settings.channels();
    BufferedImage resized = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D graphics = resized.createGraphics();
    try {
      graphics.setRenderingHint(
          RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      graphics.drawImage(source, 0, 0, width, height, null);
    } finally {
      graphics.dispose();
    }
    int count = height * width * channels;
    ByteBuffer out =
        ByteBuffer.allocate(count * dtype.elementSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int rgb = resized.getRGB(x, y);
        int r = (rgb >> 16) & 0xff;
        int g = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        if (channels == 1) {
          put(out, 0.299 * r + 0.587 * g + 0.114 * b);
        } else {
          put(out, r);
          put(out, g);
          put(out, b);
        }
      }
    }
    return TensorData.ofRaw(dtype, new long[] {height, width, channels}, out.array());
  }

  private void put(ByteBuffer out, double pixel) {
    if (dtype == DType.UINT8) {
      out.put((byte) Math.round(Math.min(255, Math.max(0, pixel))));
    } else {
      out.putFloat((float) (pixel * settings.scale() + settings.offset()));
    }
  }

  private BufferedImage read(byte[] encoded) {
    if (encoded.length == 0) {
      throw ServingException.invalid("the image is empty");
    }
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(encoded))) {
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
