package io.tuneserve.tf;

import io.tuneserve.model.TensorData;
import io.tuneserve.training.Augmentation;
import io.tuneserve.training.EpochMetrics;
import io.tuneserve.training.Evaluation;
import io.tuneserve.training.Hyperparameters;
import io.tuneserve.training.LabelledExamples;
import io.tuneserve.training.Shuffle;
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
  private final VariableValues trained;
  private final Augmentation augmentation;

  /** A training op with the learning rate of each of its variable groups. */
  record Stage(NewHead.TrainOp op, double[] rates) {}

  /**
   * A fitter that feeds {@code input}, training {@code trained}; each training batch is changed by
   * {@code augmentation} (the accuracy passes see the examples as they are).
   */
  Fitter(
      Session session,
      NewHead head,
      Output<?> input,
      VariableValues trained,
      Augmentation augmentation) {
    this.session = session;
    this.head = head;
    this.input = input;
    this.trained = trained;
    this.augmentation = augmentation;
  }

  /**
   * Trains on {@code data.train()}: {@code warmUp} (if not null) for the first {@code
   * hp.headEpochs()} epochs, then {@code main}; keeps the weights of the epoch best on {@code
   * data.validation()} (on the training examples when none are held out).
   */
  TrainingResult fit(
      Hyperparameters hp,
      LabelledExamples.Split data,
      Stage warmUp,
      Stage main,
      TrainingProgress progress) {
    LabelledExamples train = data.train();
    LabelledExamples validation = data.validation();
    int[] order = new int[train.count()];
    Arrays.setAll(order, i -> i);
    Random random = new Random(hp.seed());
    double bestScore = -1;
    double bestLoss = Double.MAX_VALUE;
    double bestTrain = 0;
    float[][] best = null;
    int sinceBest = 0;
    int epochsRun = 0;
    for (int epoch = 1; epoch <= hp.epochs(); epoch++) {
      Stage stage = warmUp != null && epoch <= hp.headEpochs() ? warmUp : main;
      Shuffle.indices(order, random);
      double lossSum = 0;
      int steps = 0;
      for (int from = 0; from < order.length; from += hp.batchSize()) {
        if (progress.cancelled()) {
          throw new TrainingCancelledException();
        }
        long stepStart = System.nanoTime();
        lossSum +=
            step(
                stage,
                train,
                random,
                Arrays.copyOfRange(order, from, Math.min(order.length, from + hp.batchSize())));
        progress.stepDone(System.nanoTime() - stepStart);
        steps++;
      }
      epochsRun = epoch;
      double loss = lossSum / Math.max(1, steps);
      double trainAccuracy = accuracy(train);
      double validationAccuracy = validation == null ? Double.NaN : accuracy(validation);
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
    if (validation == null) {
      return new TrainingResult(epochsRun, bestTrain, Double.NaN, List.of());
    }
    return new TrainingResult(
        epochsRun, bestTrain, bestScore, List.of(evaluate("validation", validation)));
  }

  /** The confusion matrix of {@code examples}, with the weights as they are now. */
  Evaluation evaluate(String split, LabelledExamples examples) {
    return Evaluation.of(split, examples.classNames(), examples.labels(), predictions(examples));
  }

  private double step(Stage stage, LabelledExamples train, Random random, int[] batch) {
    long[] y = new long[batch.length];
    for (int i = 0; i < batch.length; i++) {
      y[i] = train.labels()[batch[i]];
    }
    List<Tensor> fed = new ArrayList<>();
    try {
      TensorData rows = train.images().rows(batch);
      Tensor x =
          TensorConverter.toTensor(augmentation.isNone() ? rows : augmentation.apply(rows, random));
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

  private double accuracy(LabelledExamples examples) {
    int[] predicted = predictions(examples);
    int correct = 0;
    for (int i = 0; i < predicted.length; i++) {
      if (predicted[i] == examples.labels()[i]) {
        correct++;
      }
    }
    return correct / (double) predicted.length;
  }

  /** The most probable class of each example. */
  private int[] predictions(LabelledExamples examples) {
    int count = examples.count();
    int[] predicted = new int[count];
    for (int from = 0; from < count; from += EVALUATION_BATCH) {
      int n = Math.min(count - from, EVALUATION_BATCH);
      try (Tensor x = TensorConverter.toTensor(examples.images().range(from, n));
          Result result = session.runner().feed(input, x).fetch(head.probabilities).run()) {
        TFloat32 p = (TFloat32) result.get(0);
        int classes = (int) p.shape().get(1);
        for (int i = 0; i < n; i++) {
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
