package io.tuneserve.tf.zoo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
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

/**
 * A ConvNet of MobileNetV2's shape for 224x224 RGB images (Sandler et al. 2018, width 1.0): a 3x3
 * stride-2 convolution, seventeen inverted residual blocks (1x1 expansion, 3x3 depthwise
 * convolution, linear 1x1 projection; a shortcut where the shape allows), a 1x1 convolution to 1280
 * channels, global average pooling ({@code features}) and a 1000-way classifier. About 300 million
 * multiply-adds per image. The weights are random (He-initialised, batch normalisation folded into
 * biases): the model exists to measure serving under a compute-bound load, not to classify
 * anything.
 */
public final class MobileNetGraph {
  public static final String INPUT = "images";
  public static final int SIZE = 224;
  public static final int CLASSES = 1000;

  /** Expansion t, output channels c, repeats n, first stride s: the paper's Table 2. */
  private static final int[][] BLOCKS = {
    {1, 16, 1, 1},
    {6, 24, 2, 2},
    {6, 32, 3, 2},
    {6, 64, 4, 2},
    {6, 96, 3, 1},
    {6, 160, 3, 2},
    {6, 320, 1, 1}
  };

  private final Ops tf;
  private final Weights weights;
  private final Placeholder<TFloat32> images;
  private final Operand<TFloat32> features;
  private final Operand<TFloat32> logits;
  private final Operand<TFloat32> probabilities;

  public MobileNetGraph(Graph graph, long seed) {
    this.tf = Ops.create(graph);
    this.weights = new Weights(seed);
    images =
        tf.withName(INPUT)
            .placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, SIZE, SIZE, 3)));
    Operand<TFloat32> x = conv(tf.withSubScope("stem"), images, 3, 3, 32, 2, true);
    int channels = 32;
    int index = 0;
    for (int[] block : BLOCKS) {
      for (int repeat = 0; repeat < block[2]; repeat++) {
        int stride = repeat == 0 ? block[3] : 1;
        x =
            invertedResidual(
                tf.withSubScope("block" + index++), x, channels, block[0], block[1], stride);
        channels = block[1];
      }
    }
    Ops top = tf.withSubScope("top");
    x = conv(top, x, 1, channels, 1280, 1, true);
    features = top.withName("features").math.mean(x, top.constant(new int[] {1, 2}));
    Ops head = tf.withSubScope("head");
    Variable<TFloat32> w = weights.heNormal(head, "kernel", new long[] {1280, CLASSES}, 1280);
    Variable<TFloat32> b = zeros(head, "bias", CLASSES);
    logits = head.withName("logits").nn.biasAdd(head.linalg.matMul(features, w), b);
    probabilities = head.withName("probabilities").nn.softmax(logits);
  }

  private Operand<TFloat32> invertedResidual(
      Ops scope, Operand<TFloat32> input, int in, int expansion, int out, int stride) {
    Operand<TFloat32> x = input;
    int hidden = in * expansion;
    if (expansion != 1) {
      x = conv(scope.withSubScope("expand"), x, 1, in, hidden, 1, true);
    }
    Ops depthwise = scope.withSubScope("depthwise");
    Variable<TFloat32> kernel =
        weights.heNormal(depthwise, "kernel", new long[] {3, 3, hidden, 1}, 9);
    x =
        depthwise
            .withName("relu6")
            .nn
            .relu6(
                depthwise.nn.biasAdd(
                    depthwise.nn.depthwiseConv2dNative(
                        x, kernel, List.of(1L, (long) stride, (long) stride, 1L), "SAME"),
                    zeros(depthwise, "bias", hidden)));
    x = conv(scope.withSubScope("project"), x, 1, hidden, out, 1, false);
    return stride == 1 && in == out ? scope.withName("add").math.add(input, x) : x;
  }

  private Operand<TFloat32> conv(
      Ops scope, Operand<TFloat32> input, int size, int in, int out, int stride, boolean relu6) {
    Variable<TFloat32> kernel =
        weights.heNormal(
            scope, "kernel", new long[] {size, size, in, out}, (long) size * size * in);
    Operand<TFloat32> conv =
        scope.nn.biasAdd(
            scope.nn.conv2d(input, kernel, List.of(1L, (long) stride, (long) stride, 1L), "SAME"),
            zeros(scope, "bias", out));
    return relu6 ? scope.withName("relu6").nn.relu6(conv) : conv;
  }

  private static Variable<TFloat32> zeros(Ops scope, String name, int size) {
    return Weights.zeros(scope, name, new long[] {size});
  }

  /** Multiply-adds for one image, counted from the architecture (convolutions and classifier). */
  public static long multiplyAdds() {
    long size = SIZE / 2;
    long total = size * size * 3 * 3 * 3 * 32;
    int channels = 32;
    for (int[] block : BLOCKS) {
      for (int repeat = 0; repeat < block[2]; repeat++) {
        int stride = repeat == 0 ? block[3] : 1;
        long hidden = (long) channels * block[0];
        if (block[0] != 1) {
          total += size * size * channels * hidden;
        }
        size = (size + stride - 1) / stride;
        total += size * size * 9 * hidden + size * size * hidden * block[1];
        channels = block[1];
      }
    }
    total += size * size * channels * 1280 + 1280L * CLASSES;
    return total;
  }

  /** Builds the network with random weights and writes it as a SavedModel at {@code directory}. */
  public static void export(Path directory, long seed) throws IOException {
    try (Graph graph = new Graph()) {
      MobileNetGraph net = new MobileNetGraph(graph, seed);
      try (Session session = new Session(graph)) {
        session.initialize();
        SavedModelBundle.exporter(directory.toString())
            .withSession(session)
            .withFunction(SessionFunction.create(net.servingSignature(), session))
            .withFunction(SessionFunction.create(net.featuresSignature(), session))
            .export();
      }
    }
  }

  Signature servingSignature() {
    return ClassifierSignature.of(INPUT, images, probabilities, logits);
  }

  Signature featuresSignature() {
    return Signature.builder()
        .key("features")
        .methodName("tensorflow/serving/predict")
        .input(INPUT, images)
        .output("features", features)
        .build();
  }
}
