package io.tuneserve.tf;

import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import io.tuneserve.training.ImageRows;
import io.tuneserve.training.LabelledExamples;
import io.tuneserve.training.TrainingCancelledException;
import io.tuneserve.training.TrainingProgress;
import java.nio.ByteBuffer;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.types.TFloat32;

/** Runs images through the frozen base network once and keeps their features. */
final class FeatureExtraction {
  private static final int BATCH = 256;

  private FeatureExtraction() {}

  /** The features of every image, as one {@code [n, dimension]} tensor. */
  static TensorData codes(
      Session session,
      Output<?> images,
      Output<TFloat32> features,
      ImageRows all,
      TrainingProgress progress) {
    int count = all.count();
    ByteBuffer out = null;
    long dimension = 0;
    for (int from = 0; from < count; from += BATCH) {
      if (progress.cancelled()) {
        throw new TrainingCancelledException();
      }
      int n = Math.min(BATCH, count - from);
      try (Tensor input = TensorConverter.toTensor(all.range(from, n));
          Result result = session.runner().feed(images, input).fetch(features).run()) {
        TensorData values = TensorConverter.fromTensor(result.get(0));
        if (values.rank() != 2) {
          throw ServingException.invalid(
              "the features output has shape " + values + "; a classifier needs [batch, features]");
        }
        if (out == null) {
          dimension = values.dim(1);
          out = ByteBuffer.allocate(Math.toIntExact(count * dimension * 4));
        }
        out.put(values.raw());
      } catch (TensorFlowException e) {
        throw ServingException.invalid(
            "the base model cannot take these images: " + Messages.firstLine(e.getMessage()));
      }
    }
    return TensorData.ofRaw(
        io.tuneserve.model.DType.FP32, new long[] {count, dimension}, out.array());
  }

  /** The same examples with their images replaced by their features. */
  static LabelledExamples codesOf(
      Session session,
      Output<?> images,
      Output<TFloat32> features,
      LabelledExamples examples,
      TrainingProgress progress) {
    return new LabelledExamples(
        codes(session, images, features, examples.images(), progress),
        examples.labels(),
        examples.classNames());
  }

  /** Per-feature mean and inverse standard deviation of {@code [n, dimension]} features. */
  static NewHead.Standardization standardization(TensorData codes) {
    int n = Math.toIntExact(codes.dim(0));
    int dimension = Math.toIntExact(codes.dim(1));
    java.nio.FloatBuffer values = codes.littleEndian().asFloatBuffer();
    double[] sum = new double[dimension];
    double[] squares = new double[dimension];
    for (int i = 0; i < n; i++) {
      for (int d = 0; d < dimension; d++) {
        double v = values.get(i * dimension + d);
        sum[d] += v;
        squares[d] += v * v;
      }
    }
    float[] mean = new float[dimension];
    float[] inverse = new float[dimension];
    for (int d = 0; d < dimension; d++) {
      double m = sum[d] / Math.max(1, n);
      double variance = Math.max(0, squares[d] / Math.max(1, n) - m * m);
      mean[d] = (float) m;
      inverse[d] = (float) (1 / (Math.sqrt(variance) + 1e-3));
    }
    return new NewHead.Standardization(mean, inverse);
  }
}
