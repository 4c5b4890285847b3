package io.tuneserve.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.tuneserve.inference.DecodedRequest;
import io.tuneserve.inference.InferenceResult;
import io.tuneserve.inference.RawTensors;
import io.tuneserve.model.DType;
import io.tuneserve.model.RequestScope;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.serving.ModelView;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads and writes Open Inference Protocol requests and replies, JSON and binary. */
final class OipCodec {
  /** Input data read straight into arrays. */
  private static final Set<String> STREAMED = Set.of("/inputs/*/data");

  private OipCodec() {}

  /** The parsed request: its JSON header and the binary section that follows it. */
  @SuppressWarnings("ArrayRecordComponent") // the request body, read in place
  record WireRequest(
      JsonNode header, byte[] body, int binaryStart, String id, boolean binaryOutput) {}

  /**
   * Parses a request: {@code jsonLength} bytes of JSON, then the binary tensors (if any). Checks
   * the fields that do not depend on the model.
   */
  static WireRequest parse(byte[] body, int jsonLength) {
    return parse(body, jsonLength, false);
  }

  /**
   * Parses a request as {@link #parse(byte[], int)} does.
   *
   * @param binaryByDefault reply with binary outputs unless the request says otherwise
   */
  static WireRequest parse(byte[] body, int jsonLength, boolean binaryByDefault) {
    if (body.length == 0) {
      throw ServingException.invalid("JSON Parse error: The document is empty");
    }
    JsonNode header = JsonBodies.parseObject(body, 0, jsonLength, STREAMED);
    JsonNode id = header.get("id");
    if (id != null && !id.isTextual()) {
      throw ServingException.invalid("'id' must be a string");
    }
    return new WireRequest(
        header,
        body,
        jsonLength,
        id == null ? null : id.textValue(),
        hasParameter(header, "binary_data_output")
            ? parameter(header, "binary_data_output")
            : binaryByDefault);
  }

  private static boolean hasParameter(JsonNode node, String name) {
    JsonNode parameters = node.get("parameters");
    return parameters != null && parameters.has(name);
  }

  static boolean parameter(JsonNode node, String name) {
    JsonNode parameters = node.get("parameters");
    if (parameters == null) {
      return false;
    }
    if (!parameters.isObject()) {
      throw ServingException.invalid("'parameters' must be an object");
    }
    JsonNode value = parameters.get(name);
    if (value != null && !value.isBoolean()) {
      throw ServingException.invalid("parameter '" + name + "' must be true or false");
    }
    return value != null && value.booleanValue();
  }

  /**
   * The request's {@code timeout} parameter (microseconds, Triton's convention) in whole
   * milliseconds, at least 1; -1 when it has none.
   */
  static long timeoutMillis(JsonNode header) {
    if (!hasParameter(header, "timeout")) {
      return -1;
    }
    JsonNode value = header.get("parameters").get("timeout");
    return RequestScope.timeoutMillisOfMicros(
        value.canConvertToExactIntegral() ? value.asLong() : 0);
  }

  static DecodedRequest decode(ModelView view, WireRequest wire) {
    JsonNode header = wire.header();
    String signatureKey = SignatureSpec.DEFAULT_KEY;
    JsonNode parameters = header.get("parameters");
    if (parameters != null && parameters.has("signature_name")) {
      JsonNode name = parameters.get("signature_name");
      if (!name.isTextual()) {
        throw ServingException.invalid("parameter 'signature_name' must be a string");
      }
      signatureKey = name.textValue();
    }
    SignatureSpec signature = view.signature(signatureKey);
    JsonNode inputs = header.get("inputs");
    if (inputs == null || !inputs.isArray() || inputs.isEmpty()) {
      throw ServingException.invalid("'inputs' must be a non-empty list of tensors");
    }
    Map<String, TensorData> tensors = new HashMap<>();
    int offset = wire.binaryStart();
    for (JsonNode input : inputs) {
      String name = text(input, "name", "each input needs a 'name'");
      if (tensors.containsKey(name)) {
        throw ServingException.invalid("input '" + name + "' is given twice");
      }
      DType dtype =
          DType.fromOipName(text(input, "datatype", "input '" + name + "' needs a 'datatype'"))
              .orElseThrow(
                  () ->
                      ServingException.invalid(
                          "input '"
                              + name
                              + "' has an unsupported datatype "
                              + input.get("datatype")
                              + "; supported: "
                              + Arrays.stream(DType.values()).map(DType::oipName).toList()));
      long[] shape = shape(name, input.get("shape"));
      long binarySize = binaryDataSize(input);
      TensorData tensor;
      if (binarySize >= 0) {
        if (binarySize > wire.body().length - offset) {
          throw ServingException.invalid(
              "input '"
                  + name
                  + "' declares binary_data_size "
                  + binarySize
                  + " but only "
                  + (wire.body().length - offset)
                  + " bytes of binary data remain");
        }
        tensor = RawTensors.read(name, dtype, shape, wire.body(), offset, (int) binarySize);
        offset += (int) binarySize;
      } else {
        JsonNode data = input.get("data");
        if (data == null) {
          throw ServingException.invalid(
              "input '" + name + "' has neither 'data' nor binary_data_size");
        }
        JsonArray array = JsonBodies.streamedArray(data);
        tensor =
            array != null && array.isNumeric()
                ? array.toTensor(name, dtype, shape)
                : JsonTensorReader.readFlat(name, dtype, JsonBodies.tree(data), shape);
      }
      tensors.put(name, tensor);
    }
    if (offset != wire.body().length) {
      throw ServingException.invalid(
          (wire.body().length - offset) + " bytes of binary data follow the inputs unused");
    }
    return new DecodedRequest(signatureKey, tensors, requestedOutputs(header));
  }

  static Set<String> requestedOutputs(JsonNode header) {
    JsonNode outputs = header.get("outputs");
    if (outputs == null) {
      return Set.of();
    }
    if (!outputs.isArray()) {
      throw ServingException.invalid("'outputs' must be a list");
    }
    Set<String> names = new LinkedHashSet<>();
    for (JsonNode output : outputs) {
      names.add(text(output, "name", "each requested output needs a 'name'"));
      parameter(output, "binary_data");
    }
    return names;
  }

  static String text(JsonNode node, String field, String error) {
    JsonNode value = node.isObject() ? node.get(field) : null;
    if (value == null || !value.isTextual()) {
      throw ServingException.invalid(error);
    }
    return value.textValue();
  }

  static long[] shape(String input, JsonNode shape) {
    if (shape == null || !shape.isArray()) {
      throw ServingException.invalid("input '" + input + "' needs a 'shape' list");
    }
    long[] dims = new long[shape.size()];
    for (int i = 0; i < dims.length; i++) {
      JsonNode dim = shape.get(i);
      if (!dim.isIntegralNumber() || !dim.canConvertToLong() || dim.longValue() < 0) {
        throw ServingException.invalid(
            "input '" + input + "': shape dimensions must be non-negative integers, got " + shape);
      }
      dims[i] = dim.longValue();
    }
    try {
      TensorData.elementCount(dims);
    } catch (ArithmeticException e) {
      throw ServingException.invalid("input '" + input + "': shape " + shape + " is too large");
    }
    return dims;
  }

  static long binaryDataSize(JsonNode input) {
    JsonNode parameters = input.get("parameters");
    if (parameters == null || !parameters.has("binary_data_size")) {
      return -1;
    }
    JsonNode size = parameters.get("binary_data_size");
    if (!size.isIntegralNumber() || size.longValue() < 0) {
      throw ServingException.invalid("binary_data_size must be a non-negative integer");
    }
    return size.longValue();
  }

  /** An encoded reply; {@code headerLength} is -1 for plain JSON. */
  record Reply(Buffer body, int headerLength) {}

  static Reply encode(InferenceResult result, WireRequest request) {
    String id = request.id();
    JsonNode header = request.header();
    boolean binaryOutput = request.binaryOutput();
    Map<String, Boolean> binaryByOutput = new HashMap<>();
    JsonNode outputs = header.get("outputs");
    if (outputs != null) {
      for (JsonNode output : outputs) {
        String name = output.get("name").textValue();
        binaryByOutput.put(
            name,
            hasParameter(output, "binary_data") ? parameter(output, "binary_data") : binaryOutput);
      }
    }
    List<String> order = new ArrayList<>(result.outputs().keySet());
    if (outputs == null || outputs.isEmpty()) {
      order.sort(null);
    } else {
      order = new ArrayList<>(binaryByOutput.keySet());
    }
    List<byte[]> binary = new ArrayList<>();
    List<String> names = order;
    Buffer json =
        Replies.encode(
            g -> {
              g.writeStartObject();
              g.writeStringField("model_name", result.version().name());
              g.writeStringField("model_version", Long.toString(result.version().version()));
              if (id != null) {
                g.writeStringField("id", id);
              }
              g.writeArrayFieldStart("outputs");
              for (String name : names) {
                TensorData tensor = result.outputs().get(name);
                g.writeStartObject();
                g.writeStringField("name", name);
                g.writeStringField("datatype", tensor.dtype().oipName());
                g.writeArrayFieldStart("shape");
                for (long dim : tensor.shape()) {
                  g.writeNumber(dim);
                }
                g.writeEndArray();
                if (binaryByOutput.getOrDefault(name, binaryOutput)) {
                  byte[] bytes = RawTensors.write(tensor);
                  binary.add(bytes);
                  g.writeObjectFieldStart("parameters");
                  g.writeNumberField("binary_data_size", bytes.length);
                  g.writeEndObject();
                } else {
                  g.writeFieldName("data");
                  JsonTensorWriter.writeFlat(g, tensor);
                }
                g.writeEndObject();
              }
              g.writeEndArray();
              g.writeEndObject();
            });
    if (binary.isEmpty()) {
      return new Reply(json, -1);
    }
    int headerLength = json.length();
    for (byte[] bytes : binary) {
      json.appendBytes(bytes);
    }
    return new Reply(json, headerLength);
  }
}
