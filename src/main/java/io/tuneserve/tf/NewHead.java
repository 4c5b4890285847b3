package io.tuneserve.tf;

import io.tuneserve.training.Hyperparameters;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Sum;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.random.TruncatedNormal;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * A new linear classifier added to a graph on top of a feature tensor (standardised with the
 * training set's per-feature mean and deviation, kept as constants in the graph), with its loss
 * (cross-entropy plus an L2 penalty on its weights) and momentum training ops for any set of
 * variable groups, each with its own learning rate.
 */
final class NewHead {
  private static final float MOMENTUM = 0.9f;

  final Output<TFloat32> features;
  private final Operand<TFloat32> standardized;
  final Standardization standardization;
  final Operand<TFloat32> logits;
  final Operand<TFloat32> probabilities;
  final Placeholder<TInt64> labels;
  final Operand<TFloat32> loss;
  final Variable<TFloat32> weights;
  final Variable<TFloat32> bias;
  private final Graph graph;
  private final Ops tf;

  /** Variables trained at one learning rate, fed through {@code rate}. */
  record Group(List<Operand<TFloat32>> variables, Placeholder<TFloat32> rate) {}

  /** A training step: running {@code loss} applies one update to every group. */
  record TrainOp(Operand<TFloat32> loss, List<Group> groups) {}

  /** Per-feature shift and scale: {@code (x - mean) * inverseDeviation}. */
  record Standardization(float[] mean, float[] inverseDeviation) {
    /**
     * No change: for fine-tuning, where the features themselves move and the pretrained scale is
     * what the smaller base learning rate was chosen for.
     */
    static Standardization identity(int dimension) {
      float[] ones = new float[dimension];
      java.util.Arrays.fill(ones, 1f);
      return new Standardization(new float[dimension], ones);
    }
  }

  NewHead(
      Graph graph,
      Output<TFloat32> features,
      Standardization standardization,
      int classes,
      Hyperparameters hp) {
    this.graph = graph;
    this.features = features;
    this.tf = Ops.create(graph).withSubScope(uniqueScope(graph, "new_head"));
    this.standardization = standardization;
    int dimension = standardization.mean().length;
    standardized =
        tf.withName("standardized")
            .math
            .mul(
                tf.math.sub(
                    features,
                    tf.constant(
                        Shape.of(dimension), DataBuffers.of(standardization.mean(), true, false))),
                tf.constant(
                    Shape.of(dimension),
                    DataBuffers.of(standardization.inverseDeviation(), true, false)));
    Ops init = tf.withInitScope();
    weights =
        tf.withName("kernel")
            .variable(
                init.math.mul(
                    init.random.truncatedNormal(
                        init.constant(new long[] {dimension, classes}),
                        TFloat32.class,
                        TruncatedNormal.seed(hp.seed())),
                    init.constant((float) Math.sqrt(1.0 / dimension))));
    bias =
        tf.withName("bias")
            .variable(init.zeros(init.constant(new long[] {classes}), TFloat32.class));
    logits = tf.withName("logits").nn.biasAdd(tf.linalg.matMul(standardized, weights), bias);
    probabilities = tf.withName("probabilities").nn.softmax(logits);
    labels = tf.withName("labels").placeholder(TInt64.class, Placeholder.shape(Shape.of(-1)));
    Operand<TFloat32> oneHot =
        tf.oneHot(labels, tf.constant(classes), tf.constant(1f), tf.constant(0f));
    Operand<TFloat32> dataLoss =
        switch (hp.classifier()) {
          case SOFTMAX ->
              tf.math.mean(
                  tf.nn.softmaxCrossEntropyWithLogits(logits, oneHot).loss(), tf.constant(0));
          case SVM -> {
            // Multiclass hinge loss: sum over classes of max(0, s_j - s_y + 1), less the j = y
            // term.
            Operand<TFloat32> correct =
                tf.sum(tf.math.mul(logits, oneHot), tf.constant(1), Sum.keepDims(true));
            Operand<TFloat32> margins =
                tf.nn.relu(tf.math.add(tf.math.sub(logits, correct), tf.constant(1f)));
            yield tf.math.sub(
                tf.math.mean(tf.sum(margins, tf.constant(1)), tf.constant(0)), tf.constant(1f));
          }
        };
    loss = tf.math.add(dataLoss, tf.math.mul(tf.constant((float) hp.l2()), tf.nn.l2Loss(weights)));
  }

  List<Operand<TFloat32>> variables() {
    return List.of(weights, bias);
  }

  /** Momentum updates for the groups, run together with the loss. */
  TrainOp trainOp(List<List<Operand<TFloat32>>> groups) {
    List<Output<?>> all = new ArrayList<>();
    groups.forEach(group -> group.forEach(v -> all.add(v.asOutput())));
    Output<?>[] gradients = Gradients.of(graph, loss.asOutput(), all.toArray(Output<?>[]::new));
    List<Op> updates = new ArrayList<>();
    List<Group> result = new ArrayList<>();
    Ops init = tf.withInitScope();
    int index = 0;
    for (List<Operand<TFloat32>> group : groups) {
      Placeholder<TFloat32> rate =
          tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
      for (Operand<TFloat32> variable : group) {
        Variable<TFloat32> momentum =
            tf.variable(init.zeros(init.constant(variable.shape().asArray()), TFloat32.class));
        @SuppressWarnings("unchecked")
        Operand<TFloat32> gradient = (Operand<TFloat32>) gradients[index++];
        updates.add(
            tf.train.applyMomentum(variable, momentum, rate, gradient, tf.constant(MOMENTUM)));
      }
      result.add(new Group(group, rate));
    }
    return new TrainOp(tf.withControlDependencies(updates).identity(loss), result);
  }

  /** The trained classifier's outputs, computed from constants. */
  record Frozen(Operand<TFloat32> logits, Operand<TFloat32> probabilities) {}

  /**
   * The classifier with its current weights as constants. Variables added to a loaded graph are not
   * in its saver, so they would not be written with the export; constants are part of the graph
   * itself (a few kilobytes).
   */
  Frozen freeze(Session session) {
    float[][] values = VariableValues.read(session, List.of(weights, bias));
    long classes = values[1].length;
    long dimension = values[0].length / classes;
    Ops frozen = Ops.create(graph).withSubScope(uniqueScope(graph, "classifier"));
    Operand<TFloat32> w =
        frozen
            .withName("kernel")
            .constant(Shape.of(dimension, classes), DataBuffers.of(values[0], true, false));
    Operand<TFloat32> b =
        frozen.withName("bias").constant(Shape.of(classes), DataBuffers.of(values[1], true, false));
    Operand<TFloat32> frozenLogits =
        frozen.withName("logits").nn.biasAdd(frozen.linalg.matMul(standardized, w), b);
    return new Frozen(frozenLogits, frozen.withName("probabilities").nn.softmax(frozenLogits));
  }

  static String uniqueScope(Graph graph, String base) {
    String scope = base;
    for (int i = 2; graph.operation(scope + "/kernel") != null; i++) {
      scope = base + "_" + i;
    }
    return scope;
  }
}
