package io.tuneserve.bench;

import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.Random;

/**
 * Request bodies for {@code images} 28x28x1 images in each protocol, built once per step so the
 * load generator spends its time sending, not encoding. Pixels are random but fixed by a seed.
 */
final class Payloads {
  static final int PIXELS = 28 * 28;

  final int images;
  final float[] pixels;
  final Buffer tfsJson;
  final Buffer oipJson;
  final Buffer oipBinary;
  final int oipBinaryHeaderLength;
  final String socketHeader;
  final byte[] tensorBytes;

  Payloads(int images, long seed) {
    this.images = images;
    Random random = new Random(seed);
    pixels = new float[images * PIXELS];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = random.nextInt(256) / 255f;
    }
    ByteBuffer raw = ByteBuffer.allocate(pixels.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float pixel : pixels) {
      raw.putFloat(pixel);
    }
    tensorBytes = raw.array();
    tfsJson = Buffer.buffer("{\"instances\": " + nested() + "}");
    oipJson =
        Buffer.buffer(
            "{\"inputs\": [{\"name\": \"images\", \"shape\": [" + images + ", 28, 28, 1],"
                + " \"datatype\": \"FP32\", \"data\": " + flat() + "}],"
                + " \"outputs\": [{\"name\": \"probabilities\"}]}");
    String binaryHeader = binaryHeader(null);
    oipBinaryHeaderLength = binaryHeader.length();
    oipBinary = Buffer.buffer(binaryHeader).appendBytes(tensorBytes);
    socketHeader = binaryHeader("%s");
  }

  private String binaryHeader(String idPlaceholder) {
    return "{"
        + (idPlaceholder == null ? "" : "\"id\": \"" + idPlaceholder + "\", ")
        + "\"inputs\": [{\"name\": \"images\", \"shape\": [" + images + ", 28, 28, 1],"
        + " \"datatype\": \"FP32\", \"parameters\": {\"binary_data_size\": " + tensorBytes.length + "}}],"
        + " \"outputs\": [{\"name\": \"probabilities\", \"parameters\": {\"binary_data\": true}}]}";
  }

  String socketHeader(String id) {
    return String.format(Locale.ROOT, socketHeader, id);
  }

  private String nested() {
    StringBuilder json = new StringBuilder(pixels.length * 8);
    json.append('[');
    for (int image = 0; image < images; image++) {
      json.append(image == 0 ? "[" : ",[");
      for (int y = 0; y < 28; y++) {
        json.append(y == 0 ? "[" : ",[");
        for (int x = 0; x < 28; x++) {
          json.append(x == 0 ? "[" : ",[").append(pixels[image * PIXELS + y * 28 + x]).append(']');
        }
        json.append(']');
      }
      json.append(']');
    }
    return json.append(']').toString();
  }

  private String flat() {
    StringBuilder json = new StringBuilder(pixels.length * 8);
    json.append('[');
    for (int i = 0; i < pixels.length; i++) {
      json.append(i == 0 ? "" : ",").append(pixels[i]);
    }
    return json.append(']').toString();
  }
}
