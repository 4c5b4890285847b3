package io.tuneserve.data;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The UCI handwritten digits ({@code digits.csv.gz}: per line 64 pixel counts 0..16 of an 8x8
 * image, then the label), each upsampled to 28x28 (bilinear) and scaled to [0, 1]: strokes, not
 * garments, at MNIST's size.
 */
public final class UciDigits {
  private UciDigits() {}

  public static LabelledImages read(Path csv) throws IOException {
    List<float[]> images = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    try (BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(csv)), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        String[] values = line.split(",", -1);
        if (values.length != 65) {
          throw new IOException("a line of " + csv + " has " + values.length + " values, not 65");
        }
        images.add(upsampled(values));
        labels.add(Integer.parseInt(values[64].trim()));
      }
    }
    float[] all = new float[images.size() * 784];
    for (int i = 0; i < images.size(); i++) {
      System.arraycopy(images.get(i), 0, all, i * 784, 784);
    }
    return new LabelledImages(
        images.size(), 28, 28, all, labels.stream().mapToInt(Integer::intValue).toArray());
  }

  private static float[] upsampled(String[] values) {
    BufferedImage small = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
    for (int p = 0; p < 64; p++) {
      small
          .getRaster()
          .setSample(p % 8, p / 8, 0, Math.round(Integer.parseInt(values[p].trim()) * 255f / 16));
    }
    BufferedImage large = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    Graphics2D g = large.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(small, 0, 0, 28, 28, null);
    g.dispose();
    float[] pixels = new float[784];
    for (int p = 0; p < 784; p++) {
      pixels[p] = large.getRaster().getSample(p % 28, p / 28, 0) / 255f;
    }
    return pixels;
  }
}
