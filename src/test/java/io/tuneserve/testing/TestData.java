package io.tuneserve.testing;

import io.tuneserve.tf.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Models and files the tests use: the committed demo model, models the tests export themselves, and
 * third-party SavedModels read from {@code ../shared/testdata/} beside the checkout (tests that
 * need those are skipped, naming the folder, where it is absent).
 */
public final class TestData {
  /** Third-party test files: present beside the checkout on developer machines and in CI. */
  public static final Path SHARED = Path.of("..", "shared", "testdata");

  /** An Open Inference Protocol JSON request of one blank image for the demo model. */
  public static final String OIP_BLANK_IMAGE =
      "{\"inputs\": [{\"name\": \"images\", \"shape\": [1, 28, 28, 1], \"datatype\": \"FP32\","
          + " \"data\": ["
          + String.join(",", java.util.Collections.nCopies(784, "0"))
          + "]}]}";

  private static Path halfPlusTwo;

  private TestData() {}

  /** The committed demo model's version 1. */
  public static Path fashionConvnet() {
    return existing(Path.of("models/fashion-convnet/1"));
  }

  public static Path fashionConvnetSettings() {
    return existing(Path.of("models/fashion-convnet/model.yaml"));
  }

  /**
   * {@code y = 0.5 x + 2} with input {@code x} of shape [-1, 1], exported by TensorFlow Java (once
   * per test run): the function of TF Serving's half_plus_two, for tests that need any small model.
   */
  public static synchronized Path halfPlusTwo() {
    if (halfPlusTwo == null) {
      try {
        Path directory = Files.createTempDirectory("half-plus-two").resolve("1");
        TestModels.exportAffine(directory, 0.5f, 2f);
        deleteOnExit(directory.getParent());
        halfPlusTwo = directory;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return halfPlusTwo;
  }

  /** A version directory whose saved_model.pb is not a SavedModel: it must fail to load. */
  public static Path brokenSavedModel() {
    try {
      Path directory = Files.createTempDirectory("broken-model").resolve("1");
      Files.createDirectories(directory.resolve("variables"));
      Files.write(directory.resolve("saved_model.pb"), new byte[] {0x0a, 0x7f, 1, 2, 3});
      deleteOnExit(directory.getParent());
      return directory;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteOnExit(Path directory) {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> TestServer.deleteTree(directory)));
  }

  /**
   * A folder of {@code ../shared/testdata/} ({@code tfserving}, {@code thirdparty}); the calling
   * test (or, from {@code @BeforeAll}, its class) is skipped when it is absent.
   */
  public static Path shared(String folder) {
    Path path = SHARED.resolve(folder);
    Assumptions.assumeTrue(
        Files.isDirectory(path),
        () ->
            "skipped: needs third-party test models in "
                + path.toAbsolutePath().normalize()
                + " (../shared/testdata/ beside the checkout), which is absent");
    return path;
  }

  /** Whether {@code ../shared/testdata/<folder>} is present. */
  public static boolean hasShared(String folder) {
    return Files.isDirectory(SHARED.resolve(folder));
  }

  /** TF Serving's TF1-style half_plus_two, exported by Python TensorFlow: y = 0.5 x + 2. */
  public static Path tfServingHalfPlusTwo() {
    return existing(shared("tfserving").resolve("saved_model_half_plus_two_cpu/00000123"));
  }

  /** The same model exported in the TF2 (tf.function, resource variables) style. */
  public static Path tfServingHalfPlusTwoTf2() {
    return existing(shared("tfserving").resolve("saved_model_half_plus_two_tf2_cpu/00000123"));
  }

  /** A real model whose signature disagrees with its graph: it must fail to load, cleanly. */
  public static Path tfServingHalfPlusThree() {
    return existing(shared("tfserving").resolve("saved_model_half_plus_three/00000123"));
  }

  /** A file of {@code ../shared/testdata/tfserving/}, e.g. TF Serving's expected metadata. */
  public static String tfServingText(String file) {
    try {
      return Files.readString(existing(shared("tfserving").resolve(file)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A Keras / TF2 SavedModel of {@code ../shared/testdata/thirdparty/}, e.g. {@code
   * mnist-cnn-2shard/1}.
   */
  public static Path thirdParty(String model) {
    return existing(shared("thirdparty").resolve(model));
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
