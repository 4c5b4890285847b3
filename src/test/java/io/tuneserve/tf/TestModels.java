package io.tuneserve.tf;

import java.io.IOException;
import java.nio.file.Path;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/** Small SavedModels exported by the tests themselves through TensorFlow Java. */
public final class TestModels {
  private TestModels() {}

  /**
   * Exports {@code y = slope * x + intercept} with input {@code x} of shape [-1, 1] and output
   * {@code y}, slope and intercept held in variables: the same function and tensor names as TF
   * Serving's {@code half_plus_two} test model, exported by TensorFlow Java.
   */
  public static void exportAffine(Path directory, float slope, float intercept) throws IOException {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> x =
          tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 1)));
      Variable<TFloat32> a = tf.withName("a").variable(tf.withInitScope().constant(slope));
      Variable<TFloat32> b = tf.withName("b").variable(tf.withInitScope().constant(intercept));
      var y = tf.withName("y").math.add(tf.math.mul(x, a), b);
      export(directory, graph, "x", x, "y", y);
    }
  }

  /**
   * Exports {@code y = x * factor} with input {@code x} of shape [-1, width] and a variable holding
   * the factor, so the export has a variables directory like any trained model.
   */
  public static void exportScale(Path directory, float factor, int width) throws IOException {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> x =
          tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, width)));
      Variable<TFloat32> scale = tf.withName("scale").variable(tf.withInitScope().constant(factor));
      var y = tf.withName("y").math.mul(x, scale);
      export(directory, graph, "x", x, "y", y);
    }
  }

  /**
   * Exports a small ConvNet for 32x32 RGB images with random weights and no features signature:
   * three conv + ReLU blocks ({@code block1}..{@code block3}, the first two max-pooled), a global
   * mean, and a dense softmax over {@code classes} ({@code head}). With {@code rawBytes} its input
   * is UINT8 0..255 and the graph rescales it to [0, 1] itself.
   */
  public static void exportRgbConvNet(Path directory, int classes, boolean rawBytes)
      throws IOException {
    exportRgbConvNet(directory, classes, rawBytes, false, false);
  }

  /**
   * The ConvNet behind an input of any size: raw UINT8 pixels of shape {@code [-1, -1, -1, 3]},
   * which the graph resizes to 32x32 and rescales to [0, 1] itself.
   */
  public static void exportResizingConvNet(Path directory, int classes) throws IOException {
    exportRgbConvNet(directory, classes, true, false, true);
  }

  /**
   * The same float ConvNet with {@code block2}'s activations quantized to sixteenths by a {@code
   * Round} op, which TensorFlow has no gradient for: nothing below it can be fine-tuned.
   */
  public static void exportRoundingConvNet(Path directory, int classes) throws IOException {
    exportRgbConvNet(directory, classes, false, true, false);
  }

  private static void exportRgbConvNet(
      Path directory, int classes, boolean rawBytes, boolean rounded, boolean anySize)
      throws IOException {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Operand<?> input;
      Operand<TFloat32> x;
      if (rawBytes) {
        int side = anySize ? -1 : 32;
        Placeholder<org.tensorflow.types.TUint8> bytes =
            tf.withName("image")
                .placeholder(
                    org.tensorflow.types.TUint8.class,
                    Placeholder.shape(Shape.of(-1, side, side, 3)));
        input = bytes;
        Operand<TFloat32> pixels = tf.dtypes.cast(bytes, TFloat32.class);
        if (anySize) {
          pixels = tf.image.resizeBilinear(pixels, tf.constant(new int[] {32, 32}));
        }
        x = tf.math.mul(pixels, tf.constant(1f / 255));
      } else {
        Placeholder<TFloat32> floats =
            tf.withName("image")
                .placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 32, 32, 3)));
        input = floats;
        x = floats;
      }
      int[] widths = {3, 8, 16, 32};
      for (int block = 1; block <= 3; block++) {
        Ops scope = tf.withSubScope("block" + block);
        Variable<TFloat32> kernel =
            scope
                .withName("kernel")
                .variable(random(tf, new long[] {3, 3, widths[block - 1], widths[block]}, block));
        Variable<TFloat32> bias =
            scope
                .withName("bias")
                .variable(
                    tf.withInitScope()
                        .zeros(
                            tf.withInitScope().constant(new long[] {widths[block]}),
                            TFloat32.class));
        x =
            scope.nn.relu(
                scope.nn.biasAdd(
                    scope.nn.conv2d(x, kernel, java.util.List.of(1L, 1L, 1L, 1L), "SAME"), bias));
        if (rounded && block == 2) {
          x =
              scope.math.div(
                  scope.withName("quantized").math.round(scope.math.mul(x, tf.constant(16f))),
                  tf.constant(16f));
        }
        if (block < 3) {
          x =
              scope.nn.maxPool(
                  x,
                  tf.constant(new int[] {1, 2, 2, 1}),
                  tf.constant(new int[] {1, 2, 2, 1}),
                  "VALID");
        }
      }
      Operand<TFloat32> pooled = tf.withName("pool").math.mean(x, tf.constant(new int[] {1, 2}));
      Ops head = tf.withSubScope("head");
      Variable<TFloat32> w =
          head.withName("kernel").variable(random(tf, new long[] {32, classes}, 9));
      Variable<TFloat32> b =
          head.withName("bias")
              .variable(
                  tf.withInitScope()
                      .zeros(tf.withInitScope().constant(new long[] {classes}), TFloat32.class));
      Operand<TFloat32> probabilities =
          head.withName("probabilities")
              .nn
              .softmax(head.nn.biasAdd(head.linalg.matMul(pooled, w), b));
      export(directory, graph, "image", input, "probabilities", probabilities);
    }
  }

  private static Operand<TFloat32> random(Ops tf, long[] shape, long seed) {
    Ops init = tf.withInitScope();
    return init.math.mul(
        init.random.truncatedNormal(
            init.constant(shape),
            TFloat32.class,
            org.tensorflow.op.random.TruncatedNormal.seed(seed)),
        init.constant(0.3f));
  }

  /** Exports the graph with one serving signature from {@code x} to {@code y}. */
  private static void export(
      Path directory, Graph graph, String in, Operand<?> x, String out, Operand<?> y)
      throws IOException {
    try (Session session = new Session(graph)) {
      session.initialize();
      Signature signature =
          Signature.builder()
              .key("serving_default")
              .methodName("tensorflow/serving/predict")
              .input(in, x)
              .output(out, y)
              .build();
      SavedModelBundle.exporter(directory.toString())
          .withSession(session)
          .withFunction(SessionFunction.create(signature, session))
          .export();
    }
  }
}
