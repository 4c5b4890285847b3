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
   * Exports {@code y = x * factor} with input {@code x} of shape [-1, width] and a variable holding
   * the factor, so the export has a variables directory like any trained model.
   */
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
      export(directory, graph, x, y);
    }
  }

  public static void exportScale(Path directory, float factor, int width) throws IOException {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> x =
          tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, width)));
      Variable<TFloat32> scale = tf.withName("scale").variable(tf.withInitScope().constant(factor));
      var y = tf.withName("y").math.mul(x, scale);
      export(directory, graph, x, y);
    }
  }

  private static void export(
      Path directory, Graph graph, Placeholder<TFloat32> x, Operand<TFloat32> y)
      throws IOException {
    try (Session session = new Session(graph)) {
      session.initialize();
      Signature signature =
          Signature.builder()
              .key("serving_default")
              .methodName("tensorflow/serving/predict")
              .input("x", x)
              .output("y", y)
              .build();
      SavedModelBundle.exporter(directory.toString())
          .withSession(session)
          .withFunction(SessionFunction.create(signature, session))
          .export();
    }
  }
}
