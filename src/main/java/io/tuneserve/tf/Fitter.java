package io.tuneserve.tf;

import io.tuneserve.training.EpochMetrics;
import io.tuneserve.training.Evaluation;
import io.tuneserve.training.Hyperparameters;
import io.tuneserve.training.ImageRows;
import io.tuneserve.training.TrainingCancelledException;
import io.tuneserve.training.TrainingProgress;
import io.tuneserve.training.TrainingResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The training loop every strategy shares: epochs of shuffled mini-batches fed to {@code input},
 * accuracy on the training and held-out examples after each epoch, early stopping, and the best
 * epoch's weights restored at the end.
 */
final class Fitter {
  private static final int EVALUATION_BATCH = 256;

  private final Session session;
  private final NewHead head;
  private final Output<?> input;
  private final ImageRows data;
  private final List<String> classNames;
  private final int[] labels;
  private final VariableValues trained;

  /** A training op with the learning rate of each of its variable groups. */
  record Stage(NewHead.TrainOp op, double[] rates) {}

  Fitter(
      Session session,
      NewHead head,
      Output<?> input,
      ImageRows data,
      List<String> classNames,
      int[] labels,
      VariableValues trained) {
    this.session = session;
    this.head = head;
    this.input = input;
    this.data = data;
    this.classNames = classNames;
    this.labels = labels;
    this.trained = trained;
  }

  /**
   * Trains: {@code warmUp} (if not null) for the first {@code hp.headEpochs()} epochs, then {@code
   * main}.
   */
  TrainingResult fit(Hyperparameters hp, Stage warmUp, Stage main, TrainingProgress progress) {
    int[][] split = split(hp);
    int[] train = split[0];
    int[] validation = split[1];
    Random random = new Random(hp.seed());
    double bestScore = -1;
    double bestLoss = Double.MAX_VALUE;
    double bestTrain = 0;
    float[][] best = null;
    int sinceBest = 0;
    int epochsRun = 0;
    for (int epoch = 1; epoch <= hp.epochs(); epoch++) {
      Stage stage = warmUp != null && epoch <= hp.headEpochs() ? warmUp : main;
      Shuffle.indices(train, random);
      double lossSum = 0;
      int steps = 0;
      for (int from = 0; from < train.length; from += hp.batchSize()) {
        if (progress.cancelled()) {
          throw new TrainingCancelledException();
        }
        long stepStart = System.nanoTime();
        lossSum +=
            step(
                stage,
                Arrays.copyOfRange(train, from, Math.min(train.length, from + hp.batchSize())));
        progress.stepDone(System.nanoTime() - stepStart);
        steps++;
      }
      epochsRun = epoch;
      double loss = lossSum / Math.max(1, steps);
      double trainAccuracy = accuracy(train);
      double validationAccuracy = validation.length == 0 ? Double.NaN : accuracy(validation);
      progress.epoch(
          new EpochMetrics(epoch, loss, trainAccuracy, validationAccuracy, stage.rates()[0]),
          epoch / (double) hp.epochs());
      double score = Double.isNaN(validationAccuracy) ? trainAccuracy : validationAccuracy;
      if (score > bestScore || (score == bestScore && loss < bestLoss)) {
        bestScore = score;
        bestLoss = loss;
        bestTrain = trainAccuracy;
        best = trained.read(session);
        sinceBest = 0;
      } else if (++sinceBest >= hp.patience()) {
        break;
      }
    }
    if (best != null) {
      trained.write(session, best);
    }
    if (validation.length == 0) {
      return new TrainingResult(epochsRun, bestTrain, Double.NaN, null);
    }
    return new TrainingResult(epochsRun, bestTrain, bestScore, evaluate(validation));
  }

  /** The confusion matrix of the held-out examples, with the weights as they are now. */
  private Evaluation evaluate(int[] subset) {
    int[] truth = new int[subset.length];
    for (int i = 0; i < subset.length; i++) {
      truth[i] = labels[subset[i]];
    }
    return Evaluation.of("validation", classNames, truth, predictions(subset));
  }

  private int[][] split(Hyperparameters hp) {
    int[] order = new int[labels.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Shuffle.indices(order, new Random(hp.seed()));
    int held = (int) Math.floor(labels.length * hp.validationFraction());
    return new int[][] {
      Arrays.copyOfRange(order, held, order.length), Arrays.copyOfRange(order, 0, held)
    };
  }

  private double step(Stage stage, int[] batch) {
    long[] y = new long[batch.length];
    for (int i = 0; i < batch.length; i++) {
      y[i] = labels[batch[i]];
    }
    List<Tensor> fed = new ArrayList<>();
    try {
      Tensor x = TensorConverter.toTensor(data.rows(batch));
      fed.add(x);
      TInt64 ys = TInt64.tensorOf(Shape.of(batch.length), DataBuffers.of(y, true, false));
      fed.add(ys);
      Session.Runner runner = session.runner().feed(input, x).feed(head.labels, ys);
      for (int g = 0; g < stage.op().groups().size(); g++) {
        TFloat32 rate = TFloat32.scalarOf((float) stage.rates()[g]);
        fed.add(rate);
        runner.feed(stage.op().groups().get(g).rate(), rate);
      }
      try (Result result = runner.fetch(stage.op().loss()).run()) {
        return ((TFloat32) result.get(0)).getFloat();
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  private double accuracy(int[] subset) {
    if (subset.length == 0) {
      return Double.NaN;
    }
    int[] predicted = predictions(subset);
    int correct = 0;
    for (int i = 0; i < subset.length; i++) {
      if (predicted[i] == labels[subset[i]]) {
        correct++;
      }
    }
    return correct / (double) subset.length;
  }

  /** The most probable class of each example of {@code subset}. */
  private int[] predictions(int[] subset) {
    int[] predicted = new int[subset.length];
    for (int from = 0; from < subset.length; from += EVALUATION_BATCH) {
      int[] batch =
          Arrays.copyOfRange(subset, from, Math.min(subset.length, from + EVALUATION_BATCH));
      try (Tensor x = TensorConverter.toTensor(data.rows(batch));
          Result result = session.runner().feed(input, x).fetch(head.probabilities).run()) {
        TFloat32 p = (TFloat32) result.get(0);
        int classes = (int) p.shape().get(1);
        for (int i = 0; i < batch.length; i++) {
          int bestClass = 0;
          for (int c = 1; c < classes; c++) {
            if (p.getFloat(i, c) > p.getFloat(i, bestClass)) {
              bestClass = c;
            }
          }
          predicted[from + i] = bestClass;
        }
      }
    }
    return predicted;
  }
}
