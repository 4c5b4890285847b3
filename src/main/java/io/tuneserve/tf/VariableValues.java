package io.tuneserve.tf;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/** Reads the values of float variables, and writes saved values back (to keep the best epoch). */
final class VariableValues {
  private final List<Operand<TFloat32>> variables;
  private final List<Placeholder<TFloat32>> inputs = new ArrayList<>();
  private final List<Op> assigns = new ArrayList<>();

  VariableValues(Graph graph, List<Operand<TFloat32>> variables) {
    this.variables = List.copyOf(variables);
    Ops tf = Ops.create(graph).withSubScope("restore");
    for (Operand<TFloat32> variable : variables) {
      Placeholder<TFloat32> input =
          tf.placeholder(TFloat32.class, Placeholder.shape(variable.shape()));
      inputs.add(input);
      assigns.add(tf.assign(variable, input));
    }
  }

  static float[][] read(Session session, List<Operand<TFloat32>> variables) {
    Session.Runner runner = session.runner();
    variables.forEach(runner::fetch);
    try (Result result = runner.run()) {
      float[][] values = new float[variables.size()][];
      for (int i = 0; i < values.length; i++) {
        TFloat32 tensor = (TFloat32) result.get(i);
        values[i] = new float[(int) tensor.size()];
        tensor.copyTo(DataBuffers.of(values[i], false, false));
      }
      return values;
    }
  }

  float[][] read(Session session) {
    return read(session, variables);
  }

  void write(Session session, float[][] values) {
    List<TFloat32> tensors = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      for (int i = 0; i < values.length; i++) {
        Shape shape = variables.get(i).shape();
        TFloat32 tensor = TFloat32.tensorOf(shape, DataBuffers.of(values[i], true, false));
        tensors.add(tensor);
        runner.feed(inputs.get(i), tensor);
      }
      assigns.forEach(runner::addTarget);
      runner.run().close();
    } finally {
      tensors.forEach(TFloat32::close);
    }
  }
}
