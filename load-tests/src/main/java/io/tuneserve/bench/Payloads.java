package io.tuneserve.bench;

import io.vertx.core.buffer.Buffer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.Locale;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Request bodies for {@code images} images of the model's input in each protocol, built once per
 * step so the load generator spends its time sending, not encoding. Pixels are random but fixed by
 * a seed; the JPEG body carries a smooth picture (a photo-like size, not noise) as {"b64": ...}.
 */
final class Payloads {
  final ImageInput input;
  final int images;
  final float[] pixels;
  final Buffer tfsJson;
  final Buffer oipJson;
  final Buffer oipBinary;
  final int oipBinaryHeaderLength;
  final String socketHeader;
  final byte[] tensorBytes;
  private Buffer tfsJpeg;
  private final long seed;

  Payloads(ImageInput input, int images, long seed) {
    this.input = input;
    this.images = images;
    this.seed = seed;
    Random random = new Random(seed);
    pixels = new float[images * input.pixels()];
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
            "{\"inputs\": [{\"name\": \"" + input.input() + "\", \"shape\": [" + input.dims(images) + "],"
                + " \"datatype\": \"FP32\", \"data\": " + flat() + "}],"
                + " \"outputs\": [{\"name\": \"" + input.output() + "\"}]}");
    String binaryHeader = binaryHeader(null);
    oipBinaryHeaderLength = binaryHeader.length();
    oipBinary = Buffer.buffer(binaryHeader).appendBytes(tensorBytes);
    socketHeader = binaryHeader("%s");
  }

  private String binaryHeader(String idPlaceholder) {
    return "{"
        + (idPlaceholder == null ? "" : "\"id\": \"" + idPlaceholder + "\", ")
        + "\"inputs\": [{\"name\": \"" + input.input() + "\", \"shape\": [" + input.dims(images) + "],"
        + " \"datatype\": \"FP32\", \"parameters\": {\"binary_data_size\": " + tensorBytes.length + "}}],"
        + " \"outputs\": [{\"name\": \"" + input.output() + "\", \"parameters\": {\"binary_data\": true}}]}";
  }

  /** The same tensor as an OIP gRPC request, in raw_input_contents. */
  io.tuneserve.grpc.proto.inference.ModelInferRequest grpcRequest(String model, String id) {
    io.tuneserve.grpc.proto.inference.ModelInferRequest.InferInputTensor.Builder tensor =
        io.tuneserve.grpc.proto.inference.ModelInferRequest.InferInputTensor.newBuilder()
            .setName(input.input())
            .setDatatype("FP32");
    for (long dim : input.shape(images)) {
      tensor.addShape(dim);
    }
    return io.tuneserve.grpc.proto.inference.ModelInferRequest.newBuilder()
        .setModelName(model)
        .setId(id)
        .addInputs(tensor)
        .addOutputs(
            io.tuneserve.grpc.proto.inference.ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                .setName(input.output()))
        .addRawInputContents(com.google.protobuf.UnsafeByteOperations.unsafeWrap(tensorBytes))
        .build();
  }

  String socketHeader(String id) {
    return String.format(Locale.ROOT, socketHeader, id);
  }

  /** TF Serving JSON with each image as a base64 JPEG of the input's size, made on first use. */
  synchronized Buffer tfsJpeg() {
    if (tfsJpeg == null) {
      StringBuilder json = new StringBuilder("{\"instances\": [");
      for (int image = 0; image < images; image++) {
        json.append(image == 0 ? "" : ", ").append("{\"b64\": \"");
        json.append(Base64.getEncoder().encodeToString(jpeg(seed + image))).append("\"}");
      }
      tfsJpeg = Buffer.buffer(json.append("]}").toString());
    }
    return tfsJpeg;
  }

  /** Soft colour gradients with a few discs and slight noise, as JPEG. */
  private byte[] jpeg(long imageSeed) {
    Random random = new Random(imageSeed);
    int type = input.channels() == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB;
    BufferedImage picture = new BufferedImage(input.width(), input.height(), type);
    double[][] discs = new double[6][];
    for (int i = 0; i < discs.length; i++) {
      discs[i] =
          new double[] {
            random.nextDouble() * input.width(), random.nextDouble() * input.height(),
            (0.05 + random.nextDouble() * 0.2) * input.width(), random.nextInt(0xffffff)
          };
    }
    for (int y = 0; y < input.height(); y++) {
      for (int x = 0; x < input.width(); x++) {
        int r = 255 * x / input.width();
        int g = 255 * y / input.height();
        int b = 128;
        for (double[] disc : discs) {
          if (Math.hypot(x - disc[0], y - disc[1]) < disc[2]) {
            int colour = (int) disc[3];
            r = colour >> 16 & 0xff;
            g = colour >> 8 & 0xff;
            b = colour & 0xff;
          }
        }
        int noise = random.nextInt(9) - 4;
        picture.setRGB(x, y, clamp(r + noise) << 16 | clamp(g + noise) << 8 | clamp(b + noise));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(picture, "jpeg", out)) {
        throw new IllegalStateException("no JPEG writer");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static int clamp(int value) {
    return Math.max(0, Math.min(255, value));
  }

  private String nested() {
    StringBuilder json = new StringBuilder(pixels.length * 8);
    int height = input.height();
    int width = input.width();
    int channels = input.channels();
    json.append('[');
    for (int image = 0; image < images; image++) {
      json.append(image == 0 ? "[" : ",[");
      for (int y = 0; y < height; y++) {
        json.append(y == 0 ? "[" : ",[");
        for (int x = 0; x < width; x++) {
          json.append(x == 0 ? "[" : ",[");
          for (int c = 0; c < channels; c++) {
            json.append(c == 0 ? "" : ",").append(pixels[((image * height + y) * width + x) * channels + c]);
          }
          json.append(']');
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
