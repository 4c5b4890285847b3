package io.tuneserve.testing;

import io.tuneserve.data.FashionMnist;
import io.tuneserve.data.LabelledImages;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Fashion-MNIST test images as the PNG files a user would upload. */
public final class FashionPngs {
  private final LabelledImages images;

  public FashionPngs() throws IOException {
    images = new FashionMnist(FashionMnist.DEFAULT_DIRECTORY).test();
  }

  public LabelledImages images() {
    return images;
  }

  /** The class of image {@code index}. */
  public int label(int index) {
    return images.labels()[index];
  }

  /** A JSON line of a dataset upload: image {@code index} as a PNG, labelled {@code label}. */
  public String jsonLine(int index, String label) {
    return "{\"label\": \""
        + label
        + "\", \"b64\": \""
        + java.util.Base64.getEncoder().encodeToString(png(index))
        + "\"}\n";
  }

  /** Image {@code index} as a 28x28 greyscale PNG. */
  public byte[] png(int index) {
    BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        int v = Math.round(images.pixels()[index * 784 + y * 28 + x] * 255);
        image.getRaster().setSample(x, y, 0, v);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
