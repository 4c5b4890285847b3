package io.tuneserve.tf.zoo;

import io.tuneserve.data.LabelledImages;
import io.tuneserve.training.Shuffle;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import java.util.function.Consumer;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** Trains a {@link ConvNetGraph} from scratch with momentum SGD and exports it as a SavedModel. */
public final class ConvNetTrainer implements AutoCloseable {
  private final Graph graph = new Graph();
  private final ConvNetGraph net;
  private final Session session;
  private final int classes;

  /** Training settings. */
  public record Settings(int epochs, int batchSize, float learningRate, long seed) {}

  /** One epoch's figures, reported as training goes. */
  public record EpochReport(int epoch, double meanLoss, double seconds) {}

  public ConvNetTrainer(int classes, long seed) {
    this.classes = classes;
    this.net = new ConvNetGraph(graph, classes, seed);
    this.session = new Session(graph);
    session.initialize();
  }

  public void train(LabelledImages data, Settings settings, Consumer<EpochReport> progress) {
    int[] order = new int[data.count()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Random random = new Random(settings.seed());
    int imageSize = data.imageSize();
    float[] batchPixels = new float[settings.batchSize() * imageSize];
    long[] batchLabels = new long[settings.batchSize()];
    for (int epoch = 1; epoch <= settings.epochs(); epoch++) {
      long start = System.nanoTime();
      Shuffle.indices(order, random);
      double lossSum = 0;
      int steps = 0;
      for (int from = 0;
          from + settings.batchSize() <= order.length;
          from += settings.batchSize()) {
        for (int j = 0; j < settings.batchSize(); j++) {
          int index = order[from + j];
          System.arraycopy(data.pixels(), index * imageSize, batchPixels, j * imageSize, imageSize);
          batchLabels[j] = data.labels()[index];
        }
        lossSum += step(batchPixels, batchLabels, data, settings.learningRate());
        steps++;
      }
      progress.accept(
          new EpochReport(epoch, lossSum / Math.max(1, steps), (System.nanoTime() - start) / 1e9));
    }
  }

  private float step(float[] pixels, long[] labels, LabelledImages data, float learningRate) {
    Shape shape = Shape.of(labels.length, data.height(), data.width(), 1);
    try (TFloat32 x = TFloat32.tensorOf(shape, DataBuffers.of(pixels, true, false));
        TInt64 y = TInt64.tensorOf(Shape.of(labels.length), DataBuffers.of(labels, true, false));
        TFloat32 lr = TFloat32.scalarOf(learningRate);
        Result result =
            session
                .runner()
                .feed(net.images(), x)
                .feed(net.labels(), y)
                .feed(net.lrBase(), lr)
                .feed(net.lrHead(), lr)
                .fetch(net.trainLoss())
                .run()) {
      return ((TFloat32) result.get(0)).getFloat();
    }
  }

  /** Fraction of {@code data} classified correctly. */
  public double accuracy(LabelledImages data) {
    int batch = 500;
    int correct = 0;
    float[] pixels = new float[batch * data.imageSize()];
    for (int from = 0; from < data.count(); from += batch) {
      int n = Math.min(batch, data.count() - from);
      float[] input = n == batch ? pixels : new float[n * data.imageSize()];
      data.copyPixels(from, n, input);
      Shape shape = Shape.of(n, data.height(), data.width(), 1);
      try (TFloat32 x = TFloat32.tensorOf(shape, DataBuffers.of(input, true, false));
          Result result = session.runner().feed(net.images(), x).fetch(net.probabilities()).run()) {
        TFloat32 probabilities = (TFloat32) result.get(0);
        for (int i = 0; i < n; i++) {
          int best = 0;
          for (int c = 1; c < classes; c++) {
            if (probabilities.getFloat(i, c) > probabilities.getFloat(i, best)) {
              best = c;
            }
          }
          if (best == data.labels()[from + i]) {
            correct++;
          }
        }
      }
    }
    return correct / (double) data.count();
  }

  /** Writes a SavedModel with the serving, features and train_step signatures. */
  public void export(Path directory) throws IOException {
    SavedModelBundle.exporter(directory.toString())
        .withSession(session)
        .withFunction(SessionFunction.create(net.servingSignature(), session))
        .withFunction(SessionFunction.create(net.featuresSignature(), session))
        .withFunction(SessionFunction.create(net.trainSignature(), session))
        .export();
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
