package io.tuneserve.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.tuneserve.inference.ExampleSignatures;
import io.tuneserve.inference.InferenceResult;
import io.tuneserve.inference.InferenceService;
import io.tuneserve.model.ExampleFeature;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.serving.ModelManager;
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

/**
 * TF Serving's {@code :classify} and {@code :regress}: {@code tf.Example}s written as JSON, fed
 * serialized to a signature's one string input, answered as {@code {"results": ...}}.
 */
final class TfServingExamplesApi {
  private static final String BASE = "/v1/models" + PathParams.MODEL_AND_VERSION;

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
                    view -> ExampleSignatures.decode(view, signature, classify, serialized),
                    RequestScopes.of(ctx)))
        .map(
            result ->
                Replies.encode(json -> writeResults(json, result, classify, serialized.length)))
        .onSuccess(reply -> Replies.send(ctx, 200, reply))
        .onFailure(ctx::fail);
  }

  private static void writeResults(
      JsonGenerator json, InferenceResult result, boolean classify, int count) throws IOException {
    json.writeStartObject();
    json.writeArrayFieldStart("results");
    if (classify) {
      for (List<ExampleSignatures.Scored> classes :
          ExampleSignatures.classifications(result, count)) {
        json.writeStartArray();
        for (ExampleSignatures.Scored scored : classes) {
          json.writeStartArray();
          json.writeString(scored.label());
          json.writeNumber(scored.score());
          json.writeEndArray();
        }
        json.writeEndArray();
      }
    } else {
      for (float value : ExampleSignatures.regressions(result, count)) {
        json.writeNumber(value);
      }
    }
    json.writeEndArray();
    json.writeEndObject();
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
