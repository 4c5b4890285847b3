package io.tuneserve.tf;

import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import io.tuneserve.training.EpochMetrics;
import io.tuneserve.training.Hyperparameters;
import io.tuneserve.training.LabelledExamples;
import io.tuneserve.training.Phase;
import io.tuneserve.training.Trainer;
import io.tuneserve.training.TrainingCancelledException;
import io.tuneserve.training.TrainingProgress;
import io.tuneserve.training.TrainingResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The fixed-feature-extractor strategy: the base network stays frozen; its CNN codes are computed
 * once, and a new softmax classifier (with an L2 penalty) is trained on them by momentum SGD. The
 * classifier is added to the base graph, so the exported version takes images like the base does
 * and answers with the new classes.
 */
public final class FeatureExtractorTrainer implements Trainer {
  private static final float MOMENTUM = 0.9f;
  private static final int CODE_BATCH = 256;

  @Override
  public TrainingResult train(
      Path baseVersion,
      String featureSignature,
      String featureOutput,
      LabelledExamples examples,
      Hyperparameters hp,
      Path output,
      TrainingProgress progress) {
    progress.phase(Phase.PREPARING);
    try (SavedModelBundle bundle = SavedModelBundle.load(baseVersion.toString(), "serve")) {
      SignatureDef features = bundle.metaGraphDef().getSignatureDefMap().get(featureSignature);
      if (features == null
          || features.getInputsCount() != 1
          || !features.getOutputsMap().containsKey(featureOutput)) {
        throw ServingException.invalid(
            "the base model has no signature '"
                + featureSignature
                + "' with one image input and an"
                + " output '"
                + featureOutput
                + "' to take CNN codes from");
      }
      String imageAlias = features.getInputsMap().keySet().iterator().next();
      TensorInfo imageInfo = features.getInputsMap().get(imageAlias);
      String codesName = features.getOutputsMap().get(featureOutput).getName();
      Graph graph = bundle.graph();
      Session session = bundle.session();
      @SuppressWarnings("unchecked")
      Output<TFloat32> images = (Output<TFloat32>) graph.outputOrThrow(imageInfo.getName());
      @SuppressWarnings("unchecked")
      Output<TFloat32> codes = (Output<TFloat32>) graph.outputOrThrow(codesName);

      float[] allCodes = computeCodes(session, images, codes, examples, progress);
      int dimension = allCodes.length / examples.count();
      Split split = Split.of(examples.labels(), hp.validationFraction(), hp.seed());

      Head head = new Head(graph, codes, dimension, examples.classNames().size(), hp);
      session.initialize();
      progress.phase(Phase.TRAINING);
      TrainingResult result =
          head.fit(session, allCodes, dimension, examples.labels(), split, hp, progress);
      progress.phase(Phase.EVALUATING);
      progress.phase(Phase.PUBLISHING);
      export(session, graph, imageAlias, images, features, head, output);
      return result;
    }
  }

  private static float[] computeCodes(
      Session session,
      Output<TFloat32> images,
      Output<TFloat32> codes,
      LabelledExamples examples,
      TrainingProgress progress) {
    TensorData all = examples.images();
    int count = examples.count();
    float[] result = null;
    int dimension = 0;
    for (int from = 0; from < count; from += CODE_BATCH) {
      if (progress.cancelled()) {
        throw new TrainingCancelledException();
      }
      int n = Math.min(CODE_BATCH, count - from);
      TensorData batch = all.rows(from, n);
      try (Tensor input = TensorConverter.toTensor(batch);
          Result out = session.runner().feed(images, (TFloat32) input).fetch(codes).run()) {
        TensorData values = TensorConverter.fromTensor(out.get(0));
        if (result == null) {
          dimension = (int) values.dim(1);
          result = new float[count * dimension];
        }
        values.littleEndian().asFloatBuffer().get(result, from * dimension, n * dimension);
      } catch (org.tensorflow.exceptions.TensorFlowException e) {
        throw ServingException.invalid(
            "the base model cannot take these images: " + Messages.firstLine(e.getMessage()));
      }
    }
    return result;
  }

  private static void export(
      Session session,
      Graph graph,
      String imageAlias,
      Output<TFloat32> images,
      SignatureDef baseFeatures,
      Head head,
      Path output) {
    Signature.Builder features =
        Signature.builder().key("features").methodName(baseFeatures.getMethodName());
    features.input(imageAlias, images);
    baseFeatures
        .getOutputsMap()
        .forEach((alias, info) -> features.output(alias, graph.outputOrThrow(info.getName())));
    Classifier frozen = head.freeze(graph, session);
    Signature serving =
        Signature.builder()
            .key("serving_default")
            .methodName("tensorflow/serving/predict")
            .input(imageAlias, images)
            .output("probabilities", frozen.probabilities())
            .output("logits", frozen.logits())
            .build();
    try {
      SavedModelBundle.exporter(output.toString())
          .withSession(session)
          .withFunction(SessionFunction.create(serving, session))
          .withFunction(SessionFunction.create(features.build(), session))
          .export();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The trained classifier's outputs, computed from constants so the export carries them. */
  private record Classifier(Operand<TFloat32> logits, Operand<TFloat32> probabilities) {}

  /** Indices of the training and held-out examples. */
  private record Split(int[] train, int[] validation) {
    static Split of(int[] labels, double validationFraction, long seed) {
      int[] order = new int[labels.length];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      shuffle(order, new Random(seed));
      int held = (int) Math.floor(labels.length * validationFraction);
      return new Split(
          Arrays.copyOfRange(order, held, order.length), Arrays.copyOfRange(order, 0, held));
    }
  }

  static void shuffle(int[] values, Random random) {
    for (int i = values.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = values[i];
      values[i] = values[j];
      values[j] = t;
    }
  }

  /** The new classifier, its training step and the ops that save and restore its best weights. */
  private static final class Head {
    final Operand<TFloat32> logits;
    final Operand<TFloat32> probabilities;
    final Output<TFloat32> codes;
    final Placeholder<TInt64> labels;
    final Placeholder<TFloat32> learningRate;
    final Operand<TFloat32> trainLoss;
    final Variable<TFloat32> weights;
    final Variable<TFloat32> bias;
    final Placeholder<TFloat32> newWeights;
    final Placeholder<TFloat32> newBias;
    final List<Op> restore;

    Head(Graph graph, Output<TFloat32> codes, int dimension, int classes, Hyperparameters hp) {
      this.codes = codes;
      Ops tf = Ops.create(graph).withSubScope(uniqueScope(graph));
      Ops init = tf.withInitScope();
      weights =
          tf.withName("kernel")
              .variable(
                  init.math.mul(
                      init.random.truncatedNormal(
                          init.constant(new long[] {dimension, classes}),
                          TFloat32.class,
                          org.tensorflow.op.random.TruncatedNormal.seed(hp.seed())),
                      init.constant((float) Math.sqrt(1.0 / dimension))));
      bias =
          tf.withName("bias")
              .variable(init.zeros(init.constant(new long[] {classes}), TFloat32.class));
      logits = tf.withName("logits").nn.biasAdd(tf.linalg.matMul(codes, weights), bias);
      probabilities = tf.withName("probabilities").nn.softmax(logits);
      labels = tf.withName("labels").placeholder(TInt64.class, Placeholder.shape(Shape.of(-1)));
      learningRate =
          tf.withName("learning_rate")
              .placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
      Operand<TFloat32> oneHot =
          tf.oneHot(labels, tf.constant(classes), tf.constant(1f), tf.constant(0f));
      Operand<TFloat32> loss =
          tf.math.add(
              tf.math.mean(
                  tf.nn.softmaxCrossEntropyWithLogits(logits, oneHot).loss(), tf.constant(0)),
              tf.math.mul(tf.constant((float) hp.l2()), tf.nn.l2Loss(weights)));
      Output<?>[] gradients =
          graph.addGradients(
              loss.asOutput(), new Output<?>[] {weights.asOutput(), bias.asOutput()});
      Variable<TFloat32> weightsMomentum =
          tf.withName("kernel_momentum")
              .variable(init.zeros(init.constant(new long[] {dimension, classes}), TFloat32.class));
      Variable<TFloat32> biasMomentum =
          tf.withName("bias_momentum")
              .variable(init.zeros(init.constant(new long[] {classes}), TFloat32.class));
      @SuppressWarnings("unchecked")
      Operand<TFloat32> weightsGradient = (Operand<TFloat32>) gradients[0];
      @SuppressWarnings("unchecked")
      Operand<TFloat32> biasGradient = (Operand<TFloat32>) gradients[1];
      List<Op> updates =
          List.of(
              tf.train.applyMomentum(
                  weights, weightsMomentum, learningRate, weightsGradient, tf.constant(MOMENTUM)),
              tf.train.applyMomentum(
                  bias, biasMomentum, learningRate, biasGradient, tf.constant(MOMENTUM)));
      trainLoss = tf.withControlDependencies(updates).withName("train_loss").identity(loss);
      newWeights = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(dimension, classes)));
      newBias = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(classes)));
      restore = List.of(tf.assign(weights, newWeights), tf.assign(bias, newBias));
    }

    /**
     * The classifier with its trained weights as constants. Variables added to a loaded graph are
     * not in its saver, so they would not be written with the export; constants are part of the
     * graph itself (a few kilobytes).
     */
    Classifier freeze(Graph graph, Session session) {
      float[][] values = snapshot(session);
      long classes = values[1].length;
      long dimension = values[0].length / classes;
      Ops tf = Ops.create(graph).withSubScope(uniqueScope(graph, "classifier"));
      Operand<TFloat32> w =
          tf.withName("kernel")
              .constant(Shape.of(dimension, classes), DataBuffers.of(values[0], true, false));
      Operand<TFloat32> b =
          tf.withName("bias").constant(Shape.of(classes), DataBuffers.of(values[1], true, false));
      Operand<TFloat32> frozenLogits =
          tf.withName("logits").nn.biasAdd(tf.linalg.matMul(codes, w), b);
      return new Classifier(frozenLogits, tf.withName("probabilities").nn.softmax(frozenLogits));
    }

    private static String uniqueScope(Graph graph) {
      return uniqueScope(graph, "new_head");
    }

    private static String uniqueScope(Graph graph, String base) {
      String scope = base;
      for (int i = 2; graph.operation(scope + "/kernel") != null; i++) {
        scope = base + "_" + i;
      }
      return scope;
    }

    TrainingResult fit(
        Session session,
        float[] codes,
        int dimension,
        int[] labels,
        Split split,
        Hyperparameters hp,
        TrainingProgress progress) {
      Random random = new Random(hp.seed());
      int[] order = split.train().clone();
      double bestValidation = -1;
      double bestLoss = Double.MAX_VALUE;
      double bestTrain = 0;
      float[][] best = null;
      int sinceBest = 0;
      int epochsRun = 0;
      for (int epoch = 1; epoch <= hp.epochs(); epoch++) {
        shuffle(order, random);
        double lossSum = 0;
        int steps = 0;
        for (int from = 0; from < order.length; from += hp.batchSize()) {
          if (progress.cancelled()) {
            throw new TrainingCancelledException();
          }
          int[] batch =
              Arrays.copyOfRange(order, from, Math.min(order.length, from + hp.batchSize()));
          lossSum += step(session, codes, dimension, labels, batch, (float) hp.learningRate());
          steps++;
        }
        epochsRun = epoch;
        double trainAccuracy = accuracy(session, codes, dimension, labels, split.train());
        double validationAccuracy =
            split.validation().length == 0
                ? Double.NaN
                : accuracy(session, codes, dimension, labels, split.validation());
        progress.epoch(
            new EpochMetrics(
                epoch,
                lossSum / Math.max(1, steps),
                trainAccuracy,
                validationAccuracy,
                hp.learningRate()),
            epoch / (double) hp.epochs());
        double score = Double.isNaN(validationAccuracy) ? trainAccuracy : validationAccuracy;
        double loss = lossSum / Math.max(1, steps);
        if (score > bestValidation || (score == bestValidation && loss < bestLoss)) {
          bestValidation = score;
          bestLoss = loss;
          bestTrain = trainAccuracy;
          best = snapshot(session);
          sinceBest = 0;
        } else if (++sinceBest >= hp.patience()) {
          break;
        }
      }
      restore(session, best);
      return new TrainingResult(
          epochsRun, bestTrain, split.validation().length == 0 ? Double.NaN : bestValidation);
    }

    private double step(
        Session session, float[] codes, int dimension, int[] labels, int[] batch, float rate) {
      float[] x = gather(codes, dimension, batch);
      long[] y = new long[batch.length];
      for (int i = 0; i < batch.length; i++) {
        y[i] = labels[batch[i]];
      }
      try (TFloat32 xs =
              TFloat32.tensorOf(Shape.of(batch.length, dimension), DataBuffers.of(x, true, false));
          TInt64 ys = TInt64.tensorOf(Shape.of(batch.length), DataBuffers.of(y, true, false));
          TFloat32 lr = TFloat32.scalarOf(rate);
          Result result =
              session
                  .runner()
                  .feed(this.codes, xs)
                  .feed(labels(), ys)
                  .feed(learningRate, lr)
                  .fetch(trainLoss)
                  .run()) {
        return ((TFloat32) result.get(0)).getFloat();
      }
    }

    private Placeholder<TInt64> labels() {
      return labels;
    }

    private double accuracy(
        Session session, float[] codes, int dimension, int[] labels, int[] subset) {
      if (subset.length == 0) {
        return Double.NaN;
      }
      float[] x = gather(codes, dimension, subset);
      try (TFloat32 xs =
              TFloat32.tensorOf(
                  Shape.of(subset.length, dimension), DataBuffers.of(x, true, false));
          Result result = session.runner().feed(this.codes, xs).fetch(probabilities).run()) {
        TFloat32 p = (TFloat32) result.get(0);
        int classes = (int) p.shape().get(1);
        int correct = 0;
        for (int i = 0; i < subset.length; i++) {
          int bestClass = 0;
          for (int c = 1; c < classes; c++) {
            if (p.getFloat(i, c) > p.getFloat(i, bestClass)) {
              bestClass = c;
            }
          }
          if (bestClass == labels[subset[i]]) {
            correct++;
          }
        }
        return correct / (double) subset.length;
      }
    }

    private float[][] snapshot(Session session) {
      try (Result result = session.runner().fetch(weights).fetch(bias).run()) {
        float[][] values = new float[2][];
        for (int i = 0; i < 2; i++) {
          TFloat32 t = (TFloat32) result.get(i);
          values[i] = new float[(int) t.size()];
          t.copyTo(DataBuffers.of(values[i], false, false));
        }
        return values;
      }
    }

    private void restore(Session session, float[][] values) {
      if (values == null) {
        return;
      }
      long classes = values[1].length;
      long dimension = values[0].length / classes;
      try (TFloat32 w =
              TFloat32.tensorOf(
                  Shape.of(dimension, classes), DataBuffers.of(values[0], true, false));
          TFloat32 b =
              TFloat32.tensorOf(Shape.of(classes), DataBuffers.of(values[1], true, false))) {
        Session.Runner runner = session.runner().feed(newWeights, w).feed(newBias, b);
        restore.forEach(runner::addTarget);
        runner.run().close();
      }
    }

    private static float[] gather(float[] codes, int dimension, int[] rows) {
      float[] out = new float[rows.length * dimension];
      for (int i = 0; i < rows.length; i++) {
        System.arraycopy(codes, rows[i] * dimension, out, i * dimension, dimension);
      }
      return out;
    }
  }
}
