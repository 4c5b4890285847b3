package io.tuneserve.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Throughput and p99 against concurrency, one line per protocol, drawn with Java 2D. */
final class Plot {
  private static final Color[] COLORS = {
    new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
    new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2)
  };
  private static final int PANEL_W = 520;
  private static final int PANEL_H = 340;
  private final Report report;

  Plot(Report report) {
    this.report = report;
  }

  void write(Path file) throws IOException {
    BufferedImage image = new BufferedImage(PANEL_W * 2, PANEL_H * 2, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    int column = 0;
    for (int images : new int[] {1, 32}) {
      panel(g, column * PANEL_W, 0, images, true);
      panel(g, column * PANEL_W, PANEL_H, images, false);
      column++;
    }
    g.dispose();
    ImageIO.write(image, "png", file.toFile());
  }

  private void panel(Graphics2D g, int x0, int y0, int images, boolean throughput) {
    int left = x0 + 70;
    int right = x0 + PANEL_W - 20;
    int top = y0 + 40;
    int bottom = y0 + PANEL_H - 50;
    List<StepResult> steps =
        report.steps.stream().filter(r -> r.imagesPerRequest() == images).toList();
    int maxConcurrency = steps.stream().mapToInt(StepResult::concurrency).max().orElse(1);
    double maxValue =
        steps.stream().mapToDouble(r -> value(r, throughput)).filter(Double::isFinite).max().orElse(1);
    if (throughput) {
      maxValue = Math.max(maxValue, report.limit.imagesPerSecond());
    }
    maxValue *= 1.1;
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    g.drawString(
        (throughput ? "images/s" : "p99 latency (ms)") + ", requests of " + images + " image(s)", left, y0 + 22);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    g.drawLine(left, bottom, right, bottom);
    g.drawLine(left, top, left, bottom);
    double logMax = Math.max(1, Math.log(maxConcurrency) / Math.log(2));
    for (int c = 1; c <= maxConcurrency; c *= 2) {
      int x = left + (int) ((right - left) * (Math.log(c) / Math.log(2)) / logMax);
      g.drawLine(x, bottom, x, bottom + 4);
      g.drawString(Integer.toString(c), x - 6, bottom + 16);
    }
    g.drawString("concurrency", (left + right) / 2 - 30, bottom + 34);
    for (int i = 0; i <= 4; i++) {
      double v = maxValue * i / 4;
      int y = bottom - (int) ((bottom - top) * i / 4.0);
      g.drawString(String.format(Locale.ROOT, throughput ? "%.0f" : "%.1f", v), x0 + 8, y + 4);
      g.setColor(new Color(0xdddddd));
      g.drawLine(left + 1, y, right, y);
      g.setColor(Color.BLACK);
    }
    if (throughput) {
      int y = bottom - (int) ((bottom - top) * report.limit.imagesPerSecond() / maxValue);
      g.setColor(Color.GRAY);
      g.setStroke(new BasicStroke(1, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1, new float[] {6, 4}, 0));
      g.drawLine(left, y, right, y);
      g.drawString("in-process limit", right - 90, y - 4);
      g.setStroke(new BasicStroke(1));
    }
    int legend = 0;
    for (Protocol protocol : Protocol.TENSORS) {
      Color color = COLORS[protocol.ordinal()];
      g.setColor(color);
      g.setStroke(new BasicStroke(2));
      int px = -1;
      int py = -1;
      for (StepResult r : steps) {
        if (r.protocol() != protocol || !Double.isFinite(value(r, throughput))) {
          continue;
        }
        int x = left + (int) ((right - left) * (Math.log(r.concurrency()) / Math.log(2)) / logMax);
        int y = bottom - (int) ((bottom - top) * value(r, throughput) / maxValue);
        g.fillOval(x - 3, y - 3, 6, 6);
        if (px >= 0) {
          g.drawLine(px, py, x, y);
        }
        px = x;
        py = y;
      }
      g.drawString(protocol.label, left + 10, top + 14 + 14 * legend++);
    }
    g.setStroke(new BasicStroke(1));
    g.setColor(Color.BLACK);
  }

  private static double value(StepResult r, boolean throughput) {
    return throughput ? r.imagesPerSecond() : r.percentileMillis(99);
  }
}
