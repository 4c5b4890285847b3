package io.tuneserve.inference;

import io.tuneserve.model.DType;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.serving.ModelView;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * TF Serving's classify and regress signatures: serialized {@code tf.Example}s fed to a signature's
 * one string input, and its {@code classes} / {@code scores} or {@code outputs} read back per
 * example. The REST and gRPC Classify and Regress calls share these rules and messages.
 */
public final class ExampleSignatures {
  public static final String CLASSIFY_METHOD = "tensorflow/serving/classify";
  public static final String REGRESS_METHOD = "tensorflow/serving/regress";
  public static final String PREDICT_METHOD = "tensorflow/serving/predict";

  private ExampleSignatures() {}

  public static DecodedRequest decode(
      ModelView view, String key, boolean classify, byte[][] serialized) {
    SignatureSpec signature = view.signature(key);
    String expected = classify ? CLASSIFY_METHOD : REGRESS_METHOD;
    if (!signature.methodName().equals(expected)
        && !signature.methodName().equals(PREDICT_METHOD)) {
      throw ServingException.invalid(
          "Expected "
              + (classify ? "classification" : "regression")
              + " signature method_name to be "
              + expected
              + ". Was: "
              + signature.methodName());
    }
    if (signature.inputs().size() != 1
        || signature.inputs().values().iterator().next().dtype() != DType.BYTES) {
      throw ServingException.invalid(
          "signature "
              + key
              + " does not take serialized tf.Examples: it needs exactly one string input, and"
              + " has "
              + signature.inputs().values());
    }
    Set<String> outputs = classify ? classifyOutputs(signature) : regressOutputs(signature);
    TensorSpec input = signature.inputs().values().iterator().next();
    return new DecodedRequest(
        key,
        Map.of(input.name(), TensorData.ofStrings(new long[] {serialized.length}, serialized)),
        outputs);
  }

  private static Set<String> classifyOutputs(SignatureSpec signature) {
    boolean classes = signature.outputs().containsKey("classes");
    boolean scores = signature.outputs().containsKey("scores");
    if (!classes && !scores) {
      throw ServingException.invalid(
          "Expected classification signature outputs to contain at least one of 'classes' and"
              + " 'scores'; signature "
              + signature.key()
              + " has "
              + signature.outputs().keySet());
    }
    return classes && scores ? Set.of("classes", "scores") : Set.of(classes ? "classes" : "scores");
  }

  private static Set<String> regressOutputs(SignatureSpec signature) {
    if (!signature.outputs().containsKey("outputs")) {
      throw ServingException.invalid(
          "Expected regression signature to have an output named 'outputs'; signature "
              + signature.key()
              + " has "
              + signature.outputs().keySet());
    }
    return Set.of("outputs");
  }

  /** A class and its score, as a classify signature answers for one example. */
  public record Scored(String label, float score) {}

  /**
   * The classes of each of {@code count} examples, from the signature's {@code classes} and {@code
   * scores} outputs (either may be absent: labels are then empty, scores 0).
   */
  public static List<List<Scored>> classifications(InferenceResult result, int count) {
    TensorData classes = result.outputs().get("classes");
    TensorData scores = result.outputs().get("scores");
    long perExample = perExample(classes != null ? classes : scores, count);
    if (classes != null && scores != null && perExample(scores, count) != perExample) {
      throw ServingException.invalid(
          "output 'classes' has shape " + classes + " but 'scores' has shape " + scores);
    }
    byte[][] labels = classes == null ? null : classes.strings();
    List<List<Scored>> all = new ArrayList<>(count);
    for (int row = 0; row < count; row++) {
      List<Scored> example = new ArrayList<>();
      for (int k = 0; k < perExample; k++) {
        int index = Math.toIntExact(row * perExample + k);
        example.add(
            new Scored(
                labels == null ? "" : new String(labels[index], StandardCharsets.UTF_8),
                scores == null ? 0f : (float) scores.doubleAt(index)));
      }
      all.add(example);
    }
    return all;
  }

  /** The value of each of {@code count} examples, from a regress signature's {@code outputs}. */
  public static float[] regressions(InferenceResult result, int count) {
    TensorData outputs = result.outputs().get("outputs");
    if (outputs.rank() < 1
        || outputs.rank() > 2
        || outputs.dim(0) != count
        || (outputs.rank() == 2 && outputs.dim(1) != 1)) {
      throw ServingException.invalid(
          "Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got "
              + outputs);
    }
    float[] values = new float[count];
    for (int row = 0; row < count; row++) {
      values[row] = (float) outputs.doubleAt(row);
    }
    return values;
  }

  /** Classes per example of a [batch, classes] output. */
  private static long perExample(TensorData output, int count) {
    if (output.rank() != 2 || output.dim(0) != count) {
      throw ServingException.invalid(
          "Expected Tensor shape: [batch_size num_classes] but got " + output);
    }
    return output.dim(1);
  }
}
