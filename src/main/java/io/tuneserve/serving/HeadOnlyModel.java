package io.tuneserve.serving;

import io.tuneserve.model.DType;
import io.tuneserve.model.ErrorKind;
import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.repository.HeadDefinition;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A head-only version: runs its base version's feature signature, through the base's own batch
 * queue (so requests for every head of one base are batched together), then its linear classifier
 * in plain Java. Holds no TensorFlow session of its own: many heads cost one backbone.
 */
final class HeadOnlyModel implements LoadedModel {
  private static final long BASE_TIMEOUT_SECONDS = 60;

  private final HeadDefinition head;
  private final ModelManager models;
  private final long sizeBytes;

  HeadOnlyModel(HeadDefinition head, ModelManager models, long sizeBytes) {
    this.head = head;
    this.models = models;
    this.sizeBytes = sizeBytes;
  }

  /** The serving signature: the base's image input, the head's scores. */
  private SignatureSpec serving(ServedVersion base) {
    SignatureSpec features = base.signature(head.signature());
    long[] scores = {-1, head.classes()};
    return new SignatureSpec(
        SignatureSpec.DEFAULT_KEY,
        "tensorflow/serving/predict",
        features.inputs(),
        Map.of(
            "probabilities", TensorSpec.of("probabilities", "probabilities", DType.FP32, scores),
            "logits", TensorSpec.of("logits", "logits", DType.FP32, scores)));
  }

  @Override
  public Map<String, SignatureSpec> signatures() {
    ServedVersion base = acquireBase();
    try {
      return Map.of(SignatureSpec.DEFAULT_KEY, serving(base));
    } finally {
      base.release();
    }
  }

  @Override
  public boolean batchable() {
    return false;
  }

  @Override
  public Map<String, TensorData> run(
      String signature, Map<String, TensorData> inputs, Set<String> outputs) {
    ServedVersion base = acquireBase();
    TensorData features;
    try {
      SignatureSpec spec = base.signature(head.signature());
      features =
          base.run(spec, inputs, Set.of(head.output()))
              .get(BASE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
              .get(head.output());
    } catch (ExecutionException e) {
      throw e.getCause() instanceof ServingException serving
          ? serving
          : new ServingException(ErrorKind.INTERNAL, "base model failed", e.getCause());
    } catch (TimeoutException e) {
      throw ServingException.unavailable("the base model did not answer in time");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ServingException.unavailable("interrupted");
    } finally {
      base.release();
    }
    return classify(features, outputs);
  }

  private ServedVersion acquireBase() {
    try {
      return models.acquire(head.baseModel(), OptionalLong.of(head.baseVersion()));
    } catch (ServingException e) {
      throw ServingException.unavailable(
          "base model "
              + head.baseModel()
              + " version "
              + head.baseVersion()
              + " of this head is not available: "
              + e.getMessage());
    }
  }

  /** Standardise, apply the linear layer, and softmax, row by row. */
  Map<String, TensorData> classify(TensorData features, Set<String> outputs) {
    int rows = Math.toIntExact(features.dim(0));
    int dimension = head.dimension();
    int classes = head.classes();
    if (features.rank() != 2 || features.dim(1) != dimension) {
      throw new ServingException(
          ErrorKind.INTERNAL,
          "the base gave features " + features + ", the head takes " + dimension);
    }
    FloatBuffer in = features.littleEndian().asFloatBuffer();
    float[] logits = new float[rows * classes];
    float[] probabilities = new float[rows * classes];
    float[] x = new float[dimension];
    for (int r = 0; r < rows; r++) {
      for (int d = 0; d < dimension; d++) {
        x[d] = (in.get(r * dimension + d) - head.mean()[d]) * head.inverseDeviation()[d];
      }
      float max = Float.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        float sum = head.bias()[c];
        for (int d = 0; d < dimension; d++) {
          sum += x[d] * head.kernel()[d * classes + c];
        }
        logits[r * classes + c] = sum;
        max = Math.max(max, sum);
      }
      double total = 0;
      for (int c = 0; c < classes; c++) {
        total += Math.exp(logits[r * classes + c] - max);
      }
      for (int c = 0; c < classes; c++) {
        probabilities[r * classes + c] = (float) (Math.exp(logits[r * classes + c] - max) / total);
      }
    }
    long[] shape = {rows, classes};
    Map<String, TensorData> result = new HashMap<>();
    if (outputs.contains("logits")) {
      result.put("logits", floats(shape, logits));
    }
    if (outputs.contains("probabilities")) {
      result.put("probabilities", floats(shape, probabilities));
    }
    return result;
  }

  private static TensorData floats(long[] shape, float[] values) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asFloatBuffer().put(values);
    return TensorData.ofRaw(DType.FP32, shape, buffer.array());
  }

  @Override
  public long sizeBytes() {
    return sizeBytes;
  }

  @Override
  public void close() {}
}
