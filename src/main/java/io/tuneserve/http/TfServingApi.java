package io.tuneserve.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tuneserve.image.ImageDecoder;
import io.tuneserve.inference.DecodedRequest;
import io.tuneserve.inference.InferenceResult;
import io.tuneserve.inference.InferenceService;
import io.tuneserve.model.RequestScope;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ModelStatus;
import io.tuneserve.serving.ModelView;
import io.tuneserve.serving.VersionState;
import io.tuneserve.serving.VersionStatus;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

/** TensorFlow Serving's REST API: model status, metadata and predict, in its exact wire format. */
final class TfServingApi {
  static final String API = "tfserving";
  private static final String BASE = "/v1/models" + PathParams.MODEL_AND_VERSION;

  /** Tensor values read straight into arrays: row and columnar inputs. */
  private static final Set<String> STREAMED = Set.of("/instances", "/inputs", "/inputs/*");

  private final InferenceService inference;
  private final ModelManager manager;
  private final long maxImagePixels;

  TfServingApi(InferenceService inference, ModelManager manager, long maxImagePixels) {
    this.inference = inference;
    this.manager = manager;
    this.maxImagePixels = maxImagePixels;
  }

  void mount(Router router) {
    router.getWithRegex(BASE).handler(this::status);
    router.getWithRegex(BASE + "/metadata").handler(this::metadata);
    router.postWithRegex(BASE + ":predict").handler(this::predict);
    for (String suffix : List.of("", "/metadata", ":predict")) {
      router.routeWithRegex(BASE + suffix).handler(TfServingApi::malformed);
    }
  }

  static void malformed(RoutingContext ctx) {
    Replies.error(
        ctx, 400, "Malformed request: " + ctx.request().method() + " " + ctx.request().path());
  }

  private void status(RoutingContext ctx) {
    String model = PathParams.model(ctx);
    OptionalLong version = PathParams.version(ctx, manager);
    ModelStatus status =
        manager.status(model).orElseThrow(() -> ModelManager.notFound(model, version));
    List<VersionStatus> versions =
        status.versions().stream()
            .filter(v -> version.isEmpty() || v.version() == version.getAsLong())
            .toList();
    if (versions.isEmpty()) {
      throw ModelManager.notFound(model, version);
    }
    Replies.json(
        ctx,
        200,
        json -> {
          json.writeStartObject();
          json.writeArrayFieldStart("model_version_status");
          for (VersionStatus v : versions) {
            json.writeStartObject();
            json.writeStringField("version", Long.toString(v.version()));
            json.writeStringField("state", v.state().published());
            json.writeObjectFieldStart("status");
            boolean failed = v.state() == VersionState.FAILED;
            json.writeStringField("error_code", failed ? "UNKNOWN" : "OK");
            json.writeStringField("error_message", v.error());
            json.writeEndObject();
            json.writeEndObject();
          }
          json.writeEndArray();
          Map<String, Long> labels = manager.labels().of(model);
          if (!labels.isEmpty()) {
            json.writeObjectFieldStart("version_labels");
            for (Map.Entry<String, Long> label : labels.entrySet()) {
              json.writeStringField(label.getKey(), Long.toString(label.getValue()));
            }
            json.writeEndObject();
          }
          json.writeEndObject();
        });
  }

  private void metadata(RoutingContext ctx) {
    NamedVersion.read(
        manager, ctx, served -> Replies.json(ctx, 200, json -> writeMetadata(json, served)));
  }

  private static void writeMetadata(JsonGenerator json, ModelView version) throws IOException {
    json.writeStartObject();
    json.writeObjectFieldStart("model_spec");
    json.writeStringField("name", version.name());
    json.writeStringField("signature_name", "");
    json.writeStringField("version", Long.toString(version.version()));
    json.writeEndObject();
    json.writeObjectFieldStart("metadata");
    json.writeObjectFieldStart("signature_def");
    json.writeObjectFieldStart("signature_def");
    for (SignatureSpec signature : version.signatures().values()) {
      json.writeObjectFieldStart(signature.key());
      writeTensorInfos(json, "inputs", signature.inputs());
      writeTensorInfos(json, "outputs", signature.outputs());
      json.writeStringField("method_name", signature.methodName());
      json.writeObjectFieldStart("defaults");
      json.writeEndObject();
      json.writeEndObject();
    }
    json.writeEndObject();
    json.writeEndObject();
    json.writeEndObject();
    json.writeEndObject();
  }

  private static void writeTensorInfos(
      JsonGenerator json, String field, Map<String, TensorSpec> tensors) throws IOException {
    json.writeObjectFieldStart(field);
    for (TensorSpec spec : tensors.values()) {
      json.writeObjectFieldStart(spec.name());
      json.writeStringField("dtype", spec.tfType());
      json.writeObjectFieldStart("tensor_shape");
      json.writeArrayFieldStart("dim");
      for (long dim : spec.unknownRank() ? new long[0] : spec.shape()) {
        json.writeStartObject();
        json.writeStringField("size", Long.toString(dim));
        json.writeStringField("name", "");
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeBooleanField("unknown_rank", spec.unknownRank());
      json.writeEndObject();
      json.writeStringField("name", spec.tensorName());
      json.writeEndObject();
    }
    json.writeEndObject();
  }

  private void predict(RoutingContext ctx) {
    String model = PathParams.model(ctx);
    OptionalLong version = PathParams.version(ctx, manager);
    byte[] bytes = RawBody.bytes(ctx);
    JsonNode body = JsonBodies.parseObject(bytes, 0, bytes.length, STREAMED);
    JsonNode signatureName = body.get("signature_name");
    if (signatureName != null && !signatureName.isTextual()) {
      throw ServingException.invalid("'signature_name' key must be a string value.");
    }
    boolean hasInstances = body.has("instances");
    boolean hasInputs = body.has("inputs");
    if (hasInstances == hasInputs) {
      throw ServingException.invalid(
          hasInstances
              ? "Not allowed to mix 'instances' and 'inputs' in one request"
              : "Missing 'instances' or 'inputs' key");
    }
    String signature =
        signatureName == null ? SignatureSpec.DEFAULT_KEY : signatureName.textValue();
    RequestScope scope = RequestScopes.of(ctx);
    Calls.start(
            ctx,
            needsTree(body),
            () ->
                inference.infer(
                    model,
                    version,
                    view ->
                        hasInstances
                            ? decodeRows(view, signature, body.get("instances"))
                            : decodeColumns(view, signature, body.get("inputs")),
                    scope))
        .map(result -> Replies.encode(json -> writePrediction(json, result, hasInstances)))
        .onSuccess(reply -> Replies.send(ctx, 200, reply))
        .onFailure(ctx::fail);
  }

  /** True unless the tensor values were streamed into numeric arrays (e.g. b64 images). */
  private static boolean needsTree(JsonNode body) {
    for (String field : List.of("instances", "inputs")) {
      JsonNode value = body.get(field);
      if (value == null) {
        continue;
      }
      if (value.isObject() && !value.has("b64")) {
        for (JsonNode column : value) {
          if (!isNumericArray(column)) {
            return true;
          }
        }
      } else if (!isNumericArray(value)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isNumericArray(JsonNode value) {
    JsonArray array = JsonBodies.streamedArray(value);
    return array != null && array.isNumeric();
  }

  private DecodedRequest decodeRows(ModelView view, String signatureKey, JsonNode instances) {
    SignatureSpec signature = view.signature(signatureKey);
    JsonArray streamed = JsonBodies.streamedArray(instances);
    if (streamed != null && streamed.isNumeric() && signature.inputs().size() == 1) {
      if (streamed.shape()[0] == 0) {
        throw ServingException.invalid("'instances' must be a non-empty list");
      }
      TensorSpec spec = signature.inputs().values().iterator().next();
      return new DecodedRequest(
          signatureKey, Map.of(spec.name(), read(view, spec, instances)), Set.of());
    }
    instances = JsonBodies.tree(instances);
    if (!instances.isArray() || instances.isEmpty()) {
      throw ServingException.invalid("'instances' must be a non-empty list");
    }
    Map<String, TensorData> inputs = new HashMap<>();
    JsonNode first = instances.get(0);
    if (signature.inputs().size() == 1 && !isNamedObject(first)) {
      TensorSpec spec = signature.inputs().values().iterator().next();
      inputs.put(spec.name(), read(view, spec, instances));
    } else {
      for (TensorSpec spec : signature.inputs().values()) {
        ArrayNode rows = JsonNodeFactory.instance.arrayNode(instances.size());
        int index = 0;
        for (JsonNode instance : instances) {
          if (!isNamedObject(instance)) {
            throw ServingException.invalid(
                "instance "
                    + index
                    + " must be an object keyed by input name: signature "
                    + signature.key()
                    + " takes "
                    + signature.inputs().keySet());
          }
          JsonNode value = instance.get(spec.name());
          if (value == null) {
            throw ServingException.invalid(
                "instance " + index + " is missing input '" + spec.name() + "'");
          }
          rows.add(value);
          index++;
        }
        inputs.put(spec.name(), read(view, spec, rows));
      }
      rejectUnknownNames(first, signature);
    }
    return new DecodedRequest(signatureKey, inputs, Set.of());
  }

  private DecodedRequest decodeColumns(ModelView view, String signatureKey, JsonNode columns) {
    SignatureSpec signature = view.signature(signatureKey);
    Map<String, TensorData> inputs = new HashMap<>();
    if (signature.inputs().size() == 1 && !isNamedObject(columns)) {
      TensorSpec spec = signature.inputs().values().iterator().next();
      inputs.put(spec.name(), read(view, spec, columns));
    } else {
      if (!isNamedObject(columns)) {
        throw ServingException.invalid(
            "'inputs' must be an object keyed by input name: signature "
                + signature.key()
                + " takes "
                + signature.inputs().keySet());
      }
      rejectUnknownNames(columns, signature);
      for (TensorSpec spec : signature.inputs().values()) {
        JsonNode value = columns.get(spec.name());
        if (value == null) {
          throw ServingException.invalid("missing input '" + spec.name() + "' in 'inputs'");
        }
        inputs.put(spec.name(), read(view, spec, value));
      }
    }
    return new DecodedRequest(signatureKey, inputs, Set.of());
  }

  private static void rejectUnknownNames(JsonNode object, SignatureSpec signature) {
    object.fieldNames().forEachRemaining(signature::input);
  }

  private static boolean isNamedObject(JsonNode node) {
    return node.isObject() && !node.has("b64");
  }

  private TensorData read(ModelView view, TensorSpec spec, JsonNode value) {
    JsonArray array = JsonBodies.streamedArray(value);
    if (array != null && array.isNumeric()) {
      return array.toTensor(spec.name(), spec.dtype());
    }
    return JsonTensorReader.read(
        spec.name(),
        spec.dtype(),
        JsonBodies.tree(value),
        ImageDecoder.forInput(view.settings(), spec.name(), spec.dtype(), maxImagePixels));
  }

  private static void writePrediction(JsonGenerator json, InferenceResult result, boolean rows)
      throws IOException {
    Map<String, TensorData> outputs = new TreeMap<>(result.outputs());
    json.writeStartObject();
    if (rows) {
      long count = result.request().inputs().values().iterator().next().dim(0);
      for (Map.Entry<String, TensorData> output : outputs.entrySet()) {
        TensorData value = output.getValue();
        if (value.rank() == 0 || value.dim(0) != count) {
          throw ServingException.invalid(
              "output '"
                  + output.getKey()
                  + "' has shape "
                  + value
                  + ", which does not have one"
                  + " row per instance; send the request in the columnar 'inputs' format");
        }
      }
      json.writeArrayFieldStart("predictions");
      for (long row = 0; row < count; row++) {
        if (outputs.size() == 1) {
          Map.Entry<String, TensorData> only = outputs.entrySet().iterator().next();
          JsonTensorWriter.writeRow(json, only.getValue(), row, isBytesAlias(only.getKey()));
        } else {
          json.writeStartObject();
          for (Map.Entry<String, TensorData> output : outputs.entrySet()) {
            json.writeFieldName(output.getKey());
            JsonTensorWriter.writeRow(json, output.getValue(), row, isBytesAlias(output.getKey()));
          }
          json.writeEndObject();
        }
      }
      json.writeEndArray();
    } else if (outputs.size() == 1) {
      Map.Entry<String, TensorData> only = outputs.entrySet().iterator().next();
      json.writeFieldName("outputs");
      JsonTensorWriter.writeNested(json, only.getValue(), isBytesAlias(only.getKey()));
    } else {
      json.writeObjectFieldStart("outputs");
      for (Map.Entry<String, TensorData> output : outputs.entrySet()) {
        json.writeFieldName(output.getKey());
        JsonTensorWriter.writeNested(json, output.getValue(), isBytesAlias(output.getKey()));
      }
      json.writeEndObject();
    }
    json.writeEndObject();
  }

  /** TF Serving writes string outputs whose alias ends in "_bytes" as {"b64": ...}. */
  private static boolean isBytesAlias(String alias) {
    return alias.endsWith("_bytes");
  }
}
