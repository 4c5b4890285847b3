package io.tuneserve.tf.zoo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * A small fully-convolutional ConvNet for single-channel images, with named blocks:
 *
 * <pre>
 * block1: conv 3x3 (32) + ReLU + max-pool 2x2
 * block2: conv 3x3 (64) + ReLU + max-pool 2x2
 * fc:     conv 7x7 VALID (128) + ReLU, then a global mean over space  -> "features" (the CNN codes)
 * head:   dense 128 -> classes                                         -> "logits", "probabilities"
 * </pre>
 *
 * The fully-connected layer is written as a convolution over the 7x7 map a 28x28 image yields, so
 * the feature extractor also runs on larger images (the map is then averaged over space).
 *
 * <p>Three signatures: {@code serving_default} (images to probabilities and logits), {@code
 * features} (images to the CNN codes and the pooled activations of the earlier blocks) and {@code
 * train_step} (images, labels and two learning rates to the loss, applying one momentum step; the
 * base learning rate updates the blocks, the head learning rate the head).
 */
public final class ConvNetGraph {
  public static final String INPUT = "images";
  public static final String LABELS = "labels";
  public static final String LR_BASE = "lr_base";
  public static final String LR_HEAD = "lr_head";
  public static final String LOSS = "loss";
  private static final float MOMENTUM = 0.9f;

  private final Placeholder<TFloat32> images;
  private final Placeholder<TInt64> labels;
  private final Placeholder<TFloat32> lrBase;
  private final Placeholder<TFloat32> lrHead;
  private final Operand<TFloat32> block1Pooled;
  private final Operand<TFloat32> block2Pooled;
  private final Operand<TFloat32> features;
  private final Operand<TFloat32> logits;
  private final Operand<TFloat32> probabilities;
  private final Operand<TFloat32> trainLoss;
  private final int featureSize;

  private final Ops tf;
  private final Weights weights;

  public ConvNetGraph(Graph graph, int classes, long seed) {
    this.tf = Ops.create(graph);
    this.weights = new Weights(seed);
    this.featureSize = 128;
    images =
        tf.withName(INPUT).placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, -1, -1, 1)));
    labels = tf.withName(LABELS).placeholder(TInt64.class, Placeholder.shape(Shape.of(-1)));
    lrBase = tf.withName(LR_BASE).placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    lrHead = tf.withName(LR_HEAD).placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));

    List<Variable<TFloat32>> baseVariables = new ArrayList<>();
    List<Variable<TFloat32>> headVariables = new ArrayList<>();

    Ops b1 = tf.withSubScope("block1");
    Operand<TFloat32> c1 = conv(b1, images, 3, 1, 32, "SAME", baseVariables);
    Operand<TFloat32> p1 = maxPool(b1, c1);
    Ops b2 = tf.withSubScope("block2");
    Operand<TFloat32> c2 = conv(b2, p1, 3, 32, 64, "SAME", baseVariables);
    Operand<TFloat32> p2 = maxPool(b2, c2);
    Ops fc = tf.withSubScope("fc");
    Operand<TFloat32> c3 = conv(fc, p2, 7, 64, featureSize, "VALID", baseVariables);
    features = fc.withName("features").math.mean(c3, fc.constant(new int[] {1, 2}));
    block1Pooled = b1.withName("pooled").math.mean(p1, b1.constant(new int[] {1, 2}));
    block2Pooled = b2.withName("pooled").math.mean(p2, b2.constant(new int[] {1, 2}));

    Ops head = tf.withSubScope("head");
    Variable<TFloat32> w =
        weights.heNormal(head, "kernel", new long[] {featureSize, classes}, featureSize);
    Variable<TFloat32> bias = Weights.zeros(head, "bias", new long[] {classes});
    headVariables.add(w);
    headVariables.add(bias);
    logits = head.withName("logits").nn.biasAdd(head.linalg.matMul(features, w), bias);
    probabilities = head.withName("probabilities").nn.softmax(logits);

    Ops train = tf.withSubScope("train");
    Operand<TFloat32> oneHot =
        train.oneHot(labels, train.constant(classes), train.constant(1f), train.constant(0f));
    Operand<TFloat32> loss =
        train.math.mean(
            train.nn.softmaxCrossEntropyWithLogits(logits, oneHot).loss(), train.constant(0));
    List<Op> updates = new ArrayList<>();
    List<Variable<TFloat32>> all = new ArrayList<>(baseVariables);
    all.addAll(headVariables);
    Output<?>[] gradients =
        graph.addGradients(
            loss.asOutput(), all.stream().map(Variable::asOutput).toArray(Output<?>[]::new));
    for (int i = 0; i < all.size(); i++) {
      Variable<TFloat32> v = all.get(i);
      Operand<TFloat32> lr = i < baseVariables.size() ? lrBase : lrHead;
      Variable<TFloat32> accumulator = Weights.zeros(train, "momentum_" + i, v.shape().asArray());
      @SuppressWarnings("unchecked")
      Operand<TFloat32> gradient = (Operand<TFloat32>) gradients[i];
      updates.add(
          train.train.applyMomentum(v, accumulator, lr, gradient, train.constant(MOMENTUM)));
    }
    trainLoss = train.withControlDependencies(updates).withName(LOSS).identity(loss);
  }

  private Operand<TFloat32> conv(
      Ops scope,
      Operand<TFloat32> input,
      int size,
      int in,
      int out,
      String padding,
      List<Variable<TFloat32>> variables) {
    Variable<TFloat32> kernel =
        weights.heNormal(
            scope, "kernel", new long[] {size, size, in, out}, (long) size * size * in);
    Variable<TFloat32> bias = Weights.zeros(scope, "bias", new long[] {out});
    variables.add(kernel);
    variables.add(bias);
    Operand<TFloat32> conv = scope.nn.conv2d(input, kernel, Arrays.asList(1L, 1L, 1L, 1L), padding);
    return scope.withName("relu").nn.relu(scope.nn.biasAdd(conv, bias));
  }

  private static Operand<TFloat32> maxPool(Ops scope, Operand<TFloat32> input) {
    Operand<TInt32> window = scope.constant(new int[] {1, 2, 2, 1});
    return scope.withName("pool").nn.maxPool(input, window, window, "VALID");
  }

  public Placeholder<TFloat32> images() {
    return images;
  }

  public Placeholder<TInt64> labels() {
    return labels;
  }

  public Placeholder<TFloat32> lrBase() {
    return lrBase;
  }

  public Placeholder<TFloat32> lrHead() {
    return lrHead;
  }

  public Operand<TFloat32> probabilities() {
    return probabilities;
  }

  public Operand<TFloat32> trainLoss() {
    return trainLoss;
  }

  public int featureSize() {
    return featureSize;
  }

  public Signature servingSignature() {
    return ClassifierSignature.of(INPUT, images, probabilities, logits);
  }

  public Signature featuresSignature() {
    return Signature.builder()
        .key("features")
        .methodName("tensorflow/serving/predict")
        .input(INPUT, images)
        .output("features", features)
        .output("block2", block2Pooled)
        .output("block1", block1Pooled)
        .build();
  }

  public Signature trainSignature() {
    return Signature.builder()
        .key("train_step")
        .methodName("tensorflow/serving/predict")
        .input(INPUT, images)
        .input(LABELS, labels)
        .input(LR_BASE, lrBase)
        .input(LR_HEAD, lrHead)
        .output(LOSS, trainLoss)
        .build();
  }
}
