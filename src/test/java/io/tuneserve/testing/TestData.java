package io.tuneserve.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Models and files the tests use: the committed demo model and TF Serving's own test models. */
public final class TestData {
  private TestData() {}

  /** The committed demo model's version 1. */
  public static Path fashionConvnet() {
    return existing(Path.of("models/fashion-convnet/1"));
  }

  public static Path fashionConvnetSettings() {
    return existing(Path.of("models/fashion-convnet/model.yaml"));
  }

  /** A TF1-style SavedModel exported by Python TensorFlow: y = 0.5 x + 2. */
  public static Path halfPlusTwo() {
    return existing(Path.of("src/test/resources/tfserving/saved_model_half_plus_two_cpu/00000123"));
  }

  /** The same model exported in the TF2 (tf.function) style. */
  public static Path halfPlusTwoTf2() {
    return existing(
        Path.of("src/test/resources/tfserving/saved_model_half_plus_two_tf2_cpu/00000123"));
  }

  /** A real model whose signature disagrees with its graph: it must fail to load, cleanly. */
  public static Path halfPlusThree() {
    return existing(Path.of("src/test/resources/tfserving/saved_model_half_plus_three/00000123"));
  }

  public static Path resource(String path) {
    return existing(Path.of("src/test/resources").resolve(path));
  }

  public static byte[] bytes(String resource) {
    try {
      return Files.readAllBytes(resource(resource));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String text(String resource) {
    try {
      return Files.readString(resource(resource));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A 28x28 greyscale image for the demo model, every pixel {@code value}, as nested JSON. */
  public static String uniformImage(float value) {
    StringBuilder rows = new StringBuilder("[");
    for (int y = 0; y < 28; y++) {
      rows.append(y == 0 ? "[" : ",[")
          .append("[" + value + "]" + (",[" + value + "]").repeat(27))
          .append(']');
    }
    return rows.append(']').toString();
  }

  /** The same image as the demo model's OIP input tensor, flat data in the {@code images} input. */
  public static String uniformImageTensor(float value) {
    return "{\"name\": \"images\", \"datatype\": \"FP32\", \"shape\": [1, 28, 28, 1], \"data\": ["
        + (value + ",").repeat(783)
        + value
        + "]}";
  }

  private static Path existing(Path path) {
    if (!Files.exists(path)) {
      throw new IllegalStateException(path.toAbsolutePath() + " is missing");
    }
    return path;
  }
}
