package io.tuneserve.tf;

import io.tuneserve.model.DType;
import io.tuneserve.model.TensorData;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Checks that two sessions compute the same signature outputs: each signature that takes float
 * inputs of known shape (one row where the batch is open) and writes nothing is run in both on the
 * same fixed input, and every output must agree within a float tolerance.
 */
final class SameOutputs {
  /** Largest difference allowed, relative to the largest magnitude of the output. */
  static final double TOLERANCE = 1e-4;

  private SameOutputs() {}

  /**
   * @throws IllegalArgumentException naming the first output that differs
   */
  static void check(
      GraphDef graph, Session expected, Session actual, Map<String, SignatureDef> signatures) {
    signatures.forEach(
        (key, signature) -> {
          List<String> outputs =
              signature.getOutputsMap().values().stream().map(TensorInfo::getName).toList();
          if (key.startsWith("__") || GraphWrites.firstWrite(graph, outputs) != null) {
            return;
          }
          List<TensorData> inputs = new ArrayList<>();
          for (TensorInfo input : signature.getInputsMap().values()) {
            long[] shape = probeShape(input);
            if (shape == null) {
              return;
            }
            inputs.add(pattern(shape));
          }
          List<TensorData> want = run(expected, signature, inputs, outputs);
          List<TensorData> got = run(actual, signature, inputs, outputs);
          for (int i = 0; i < outputs.size(); i++) {
            String difference = difference(want.get(i), got.get(i));
            if (difference != null) {
              throw new IllegalArgumentException(
                  "signature " + key + " output " + outputs.get(i) + " " + difference);
            }
          }
        });
  }

  /** The shape of a float input with one row, or null when it is not a float of known shape. */
  private static long[] probeShape(TensorInfo input) {
    TensorShapeProto shape = input.getTensorShape();
    if (input.getDtype() != DataType.DT_FLOAT || shape.getUnknownRank()) {
      return null;
    }
    long[] dims = shape.getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize).toArray();
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0 && i == 0) {
        dims[i] = 1;
      } else if (dims[i] < 0) {
        return null;
      }
    }
    return dims;
  }

  /** Values spread over [0, 1) without a regular pattern a model could be blind to. */
  private static TensorData pattern(long[] shape) {
    float[] values = new float[Math.toIntExact(TensorData.elementCount(shape))];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) ((i * 0.6180339887) % 1.0);
    }
    return TensorData.ofFloats(shape, values);
  }

  private static List<TensorData> run(
      Session session, SignatureDef signature, List<TensorData> inputs, List<String> outputs) {
    List<Tensor> fed = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      int i = 0;
      for (TensorInfo input : signature.getInputsMap().values()) {
        Tensor tensor = TensorConverter.toTensor(inputs.get(i++));
        fed.add(tensor);
        runner.feed(input.getName(), tensor);
      }
      outputs.forEach(runner::fetch);
      try (Result result = runner.run()) {
        List<TensorData> values = new ArrayList<>();
        for (int o = 0; o < outputs.size(); o++) {
          values.add(TensorConverter.fromTensor(result.get(o)));
        }
        return values;
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  /** How two values differ, or null when they agree. */
  static String difference(TensorData want, TensorData got) {
    if (want.dtype() != got.dtype() || !Arrays.equals(want.shape(), got.shape())) {
      return "is " + got + " instead of " + want;
    }
    if (want.dtype() != DType.FP32) {
      return want.dtype() == DType.BYTES || Arrays.equals(want.raw(), got.raw())
          ? null
          : "has other values";
    }
    FloatBuffer a = want.littleEndian().asFloatBuffer();
    FloatBuffer b = got.littleEndian().asFloatBuffer();
    double scale = 0;
    double largest = 0;
    for (int i = 0; i < a.limit(); i++) {
      scale = Math.max(scale, Math.abs(a.get(i)));
      largest = Math.max(largest, Math.abs(a.get(i) - b.get(i)));
    }
    return largest <= TOLERANCE * Math.max(1, scale) ? null : "differs by " + largest;
  }
}
