package io.tuneserve.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.tuneserve.model.DType;
import io.tuneserve.model.TensorData;
import io.tuneserve.repository.ModelSettings;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The decoded values against Java's own reading of the same image, pixel by pixel. */
class ImageDecoderTest {
  private static final int WIDTH = 7;
  private static final int HEIGHT = 5;

  private static byte[] encode(String format, int width, int height, int type) throws IOException {
    BufferedImage image = new BufferedImage(width, height, type);
    Random random = new Random(7);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, random.nextInt(0x1000000));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(image, format, out)).isTrue();
    return out.toByteArray();
  }

  private static ImageDecoder decoder(int channels, DType dtype) {
    return new ImageDecoder(
        new ModelSettings.ImageInput(null, "x", null, HEIGHT, WIDTH, channels, 2.0, -1.0),
        dtype,
        1 << 20);
  }

  /** The value each channel should get: what getRGB returns, mapped as the settings say. */
  private static double[] expected(byte[] encoded, int channels, boolean asBytes)
      throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(encoded));
    assertThat(image.getWidth()).isEqualTo(WIDTH);
    double[] values = new double[WIDTH * HEIGHT * channels];
    int i = 0;
    for (int y = 0; y < HEIGHT; y++) {
      for (int x = 0; x < WIDTH; x++) {
        int rgb = image.getRGB(x, y);
        int[] rgbs = {(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff};
        double[] pixel =
            channels == 1
                ? new double[] {0.299 * rgbs[0] + 0.587 * rgbs[1] + 0.114 * rgbs[2]}
                : new double[] {rgbs[0], rgbs[1], rgbs[2]};
        for (double value : pixel) {
          values[i++] = asBytes ? Math.round(Math.min(255, Math.max(0, value))) : value * 2 - 1;
        }
      }
    }
    return values;
  }

  private static void assertDecodedAs(TensorData decoded, double[] expected, DType dtype) {
    ByteBuffer raw = decoded.littleEndian();
    for (int i = 0; i < expected.length; i++) {
      double actual = dtype == DType.UINT8 ? raw.get(i) & 0xff : raw.getFloat(4 * i);
      assertThat(actual).as("value %d", i).isEqualTo((float) expected[i]);
    }
  }

  @Test
  void aJpegOfTheInputsSizeGivesTheSameValuesAsGetRgb() throws IOException {
    byte[] jpeg = encode("jpeg", WIDTH, HEIGHT, BufferedImage.TYPE_3BYTE_BGR);
    assertThat(ImageIO.read(new ByteArrayInputStream(jpeg)).getType())
        .isEqualTo(BufferedImage.TYPE_3BYTE_BGR);
    for (int channels : new int[] {1, 3}) {
      for (DType dtype : new DType[] {DType.FP32, DType.UINT8}) {
        TensorData decoded = decoder(channels, dtype).decode(jpeg);
        assertThat(decoded.shape()).containsExactly(HEIGHT, WIDTH, channels);
        assertDecodedAs(decoded, expected(jpeg, channels, dtype == DType.UINT8), dtype);
      }
    }
  }

  @Test
  void aPngOfTheInputsSizeGivesTheSameValuesAsGetRgb() throws IOException {
    byte[] png = encode("png", WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    for (int channels : new int[] {1, 3}) {
      assertDecodedAs(
          decoder(channels, DType.FP32).decode(png), expected(png, channels, false), DType.FP32);
    }
  }

  @Test
  void anImageOfAnotherSizeIsResizedToTheInputsSize() throws IOException {
    TensorData decoded =
        decoder(3, DType.FP32).decode(encode("jpeg", 40, 30, BufferedImage.TYPE_3BYTE_BGR));
    assertThat(decoded.shape()).containsExactly(HEIGHT, WIDTH, 3);
  }
}
