package io.tuneserve.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.tuneserve.inference.DecodedRequest;
import io.tuneserve.inference.InferenceResult;
import io.tuneserve.inference.InferenceService;
import io.tuneserve.model.DType;
import io.tuneserve.model.ExampleFeature;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ModelView;
import io.tuneserve.tf.TfExamples;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * TF Serving's {@code :classify} and {@code :regress}: {@code tf.Example}s written as JSON, fed
 * serialized to a signature's one string input, answered as {@code {"results": ...}}.
 */
final class TfServingExamplesApi {
  private static final String BASE = "/v1/models" + PathParams.MODEL_AND_VERSION;
  static final String CLASSIFY_METHOD = "tensorflow/serving/classify";
  static final String REGRESS_METHOD = "tensorflow/serving/regress";
  static final String PREDICT_METHOD = "tensorflow/serving/predict";

  private final InferenceService inference;
  private final ModelManager manager;

  TfServingExamplesApi(InferenceService inference, ModelManager manager) {
    this.inference = inference;
    this.manager = manager;
  }

  void mount(Router router) {
    router.postWithRegex(BASE + ":classify").handler(ctx -> call(ctx, true));
    router.postWithRegex(BASE + ":regress").handler(ctx -> call(ctx, false));
    for (String suffix : List.of(":classify", ":regress")) {
      router.routeWithRegex(BASE + suffix).handler(TfServingApi::malformed);
    }
  }

  private void call(RoutingContext ctx, boolean classify) {
    String model = PathParams.model(ctx);
    OptionalLong version = PathParams.version(ctx, manager);
    byte[] bytes = RawBody.bytes(ctx);
    JsonNode body = JsonBodies.parseObject(bytes, 0, bytes.length);
    JsonNode signatureName = body.get("signature_name");
    if (signatureName != null && !signatureName.isTextual()) {
      throw ServingException.invalid("'signature_name' key must be a string value.");
    }
    String signature =
        signatureName == null || signatureName.textValue().isEmpty()
            ? SignatureSpec.DEFAULT_KEY
            : signatureName.textValue();
    Map<String, ExampleFeature> context =
        body.has("context") ? JsonExamples.example(body.get("context")) : Map.of();
    List<Map<String, ExampleFeature>> examples =
        JsonExamples.examples(body.get("examples"), classify ? "classify" : "regress");
    byte[][] serialized = TfExamples.serialize(examples, context);
    Calls.start(
            ctx,
            false,
            () ->
                inference.infer(
                    model,
                    version,
                    view -> decode(view, signature, classify, serialized),
                    RequestScopes.of(ctx)))
        .map(
            result ->
                Replies.encode(json -> writeResults(json, result, classify, serialized.length)))
        .onSuccess(reply -> Replies.send(ctx, 200, reply))
        .onFailure(ctx::fail);
  }

  private static DecodedRequest decode(
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

  private static void writeResults(
      JsonGenerator json, InferenceResult result, boolean classify, int count) throws IOException {
    json.writeStartObject();
    json.writeArrayFieldStart("results");
    if (classify) {
      TensorData classes = result.outputs().get("classes");
      TensorData scores = result.outputs().get("scores");
      long perExample = perExample(classes != null ? classes : scores, count);
      if (classes != null && scores != null && perExample(scores, count) != perExample) {
        throw ServingException.invalid(
            "output 'classes' has shape " + classes + " but 'scores' has shape " + scores);
      }
      byte[][] labels = classes == null ? null : classes.strings();
      for (int row = 0; row < count; row++) {
        json.writeStartArray();
        for (int k = 0; k < perExample; k++) {
          int index = Math.toIntExact(row * perExample + k);
          json.writeStartArray();
          json.writeString(labels == null ? "" : new String(labels[index], StandardCharsets.UTF_8));
          json.writeNumber(scores == null ? 0f : (float) scores.doubleAt(index));
          json.writeEndArray();
        }
        json.writeEndArray();
      }
    } else {
      TensorData outputs = result.outputs().get("outputs");
      if (outputs.rank() < 1
          || outputs.rank() > 2
          || outputs.dim(0) != count
          || (outputs.rank() == 2 && outputs.dim(1) != 1)) {
        throw ServingException.invalid(
            "Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got "
                + outputs);
      }
      for (int row = 0; row < count; row++) {
        json.writeNumber((float) outputs.doubleAt(row));
      }
    }
    json.writeEndArray();
    json.writeEndObject();
  }

  /** Classes per example of a [batch, classes] output. */
  private static long perExample(TensorData output, int count) {
    if (output.rank() != 2 || output.dim(0) != count) {
      throw ServingException.invalid(
          "Expected Tensor shape: [batch_size num_classes] but got " + output);
    }
    return output.dim(1);
  }

  /** TF Serving's JSON form of {@code tf.Example}s. */
  static final class JsonExamples {
    private JsonExamples() {}

    static List<Map<String, ExampleFeature>> examples(JsonNode examples, String method) {
      if (examples == null) {
        throw ServingException.invalid(
            "When method is " + method + ", key 'examples' is expected and was not found");
      }
      if (!examples.isArray()) {
        throw ServingException.invalid("Expecting 'examples' value to be an list/array");
      }
      if (examples.isEmpty()) {
        throw ServingException.invalid("'examples' value is an empty array");
      }
      List<Map<String, ExampleFeature>> parsed = new ArrayList<>(examples.size());
      for (JsonNode example : examples) {
        parsed.add(example(example));
      }
      return parsed;
    }

    static Map<String, ExampleFeature> example(JsonNode example) {
      if (!example.isObject()) {
        throw ServingException.invalid(
            "Example must be JSON object but got JSON " + example.getNodeType());
      }
      Map<String, ExampleFeature> features = new LinkedHashMap<>();
      example
          .fields()
          .forEachRemaining(
              field -> features.put(field.getKey(), feature(field.getKey(), field.getValue())));
      return features;
    }

    private enum Kind {
      BYTES,
      FLOAT,
      INT64
    }

    private static ExampleFeature feature(String name, JsonNode content) {
      List<JsonNode> values = new ArrayList<>();
      if (content.isArray()) {
        content.forEach(values::add);
      } else {
        values.add(content);
      }
      Kind kind = null;
      List<byte[]> bytes = new ArrayList<>();
      List<Float> floats = new ArrayList<>();
      List<Long> ints = new ArrayList<>();
      for (JsonNode value : values) {
        Kind own;
        if (value.isBoolean()) {
          own = Kind.INT64;
          ints.add(value.booleanValue() ? 1L : 0L);
        } else if (value.isTextual()) {
          own = Kind.BYTES;
          bytes.add(value.textValue().getBytes(StandardCharsets.UTF_8));
        } else if (value.isObject() && value.size() == 1 && value.path("b64").isTextual()) {
          own = Kind.BYTES;
          try {
            bytes.add(Base64.getDecoder().decode(value.get("b64").textValue()));
          } catch (IllegalArgumentException e) {
            throw ServingException.invalid("Unable to base64 decode feature " + name);
          }
        } else if (value.isFloatingPointNumber()) {
          own = Kind.FLOAT;
          double number = value.doubleValue();
          if (!Double.isFinite(number) || Math.abs(number) > Float.MAX_VALUE) {
            throw ServingException.invalid(
                "Cannot convert JSON value: " + value + " to float without loss of precision.");
          }
          floats.add((float) number);
        } else if (value.isIntegralNumber()) {
          own = Kind.INT64;
          if (!value.canConvertToLong()) {
            throw ServingException.invalid(
                "Feature: " + name + " has uint64 element. Only int64 is supported.");
          }
          ints.add(value.longValue());
        } else {
          throw ServingException.invalid(
              "Feature: "
                  + name
                  + " has element with unexpected JSON type: "
                  + value.getNodeType());
        }
        if (kind != null && kind != own) {
          throw ServingException.invalid(
              "Unexpected element type in feature: "
                  + name
                  + " expecting type: "
                  + kind.name().toLowerCase(java.util.Locale.ROOT));
        }
        kind = own;
      }
      if (kind == Kind.BYTES) {
        return new ExampleFeature.Bytes(bytes);
      }
      if (kind == Kind.INT64) {
        return new ExampleFeature.Int64s(ints);
      }
      return new ExampleFeature.Floats(floats);
    }
  }
}
