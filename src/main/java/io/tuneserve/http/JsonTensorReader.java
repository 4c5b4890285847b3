package io.tuneserve.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.tuneserve.image.ImageDecoder;
import io.tuneserve.model.DType;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Builds a tensor from a JSON value: nested arrays give the shape, leaves the elements. A {@code
 * {"b64": "..."}} leaf is a byte string for a BYTES tensor, or an encoded image for an input with
 * image preprocessing (it then stands for a height x width x channels block).
 */
final class JsonTensorReader {
  private final String input;
  private final DType dtype;
  private final ImageDecoder images;
  private final LittleEndianBuffer data;
  private final List<byte[]> strings = new ArrayList<>();
  private final List<Long> shape = new ArrayList<>();
  private int rank = -1;

  /**
   * @param images decodes {@code b64} images for this input, or null when it takes none
   */
  private JsonTensorReader(String input, DType dtype, ImageDecoder images, int sizeHint) {
    this.input = input;
    this.dtype = dtype;
    this.images = images;
    this.data = new LittleEndianBuffer(sizeHint);
  }

  static TensorData read(String input, DType dtype, JsonNode value, ImageDecoder images) {
    JsonTensorReader reader = new JsonTensorReader(input, dtype, images, 256);
    reader.add(value, 0);
    return reader.build();
  }

  /** Reads {@code value} as a flat list of elements with a shape given separately (OIP). */
  static TensorData readFlat(String input, DType dtype, JsonNode value, long[] shape) {
    JsonTensorReader reader = new JsonTensorReader(input, dtype, null, 256);
    reader.add(value, 0);
    TensorData flat = reader.build();
    long expected = TensorData.elementCount(shape);
    if (flat.elementCount() != expected) {
      throw ServingException.invalid(
          "input '"
              + input
              + "': shape "
              + java.util.Arrays.toString(shape)
              + " needs "
              + expected
              + " elements, data has "
              + flat.elementCount());
    }
    return dtype == DType.BYTES
        ? TensorData.ofStrings(shape, flat.strings())
        : TensorData.ofRaw(dtype, shape, flat.raw());
  }

  private void add(JsonNode node, int depth) {
    if (node.isArray()) {
      dimension(depth, node.size());
      for (JsonNode child : node) {
        add(child, depth + 1);
      }
    } else if (node.isObject() && images != null && node.has("b64")) {
      TensorData image = images.decode(base64(node));
      if (shape.size() >= depth + 2
          && (shape.get(depth) != image.dim(0) || shape.get(depth + 1) != image.dim(1))) {
        throw ServingException.invalid(
            "input '"
                + input
                + "': the images differ in size ("
                + image.dim(0)
                + "x"
                + image.dim(1)
                + " after "
                + shape.get(depth)
                + "x"
                + shape.get(depth + 1)
                + "); the model takes images at any size, so the images of one request must"
                + " share one (a job can give image_size to resize them)");
      }
      for (int i = 0; i < image.rank(); i++) {
        dimension(depth + i, image.dim(i));
      }
      leafAt(depth + image.rank());
      data.put(image.raw());
    } else {
      leafAt(depth);
      scalar(node);
    }
  }

  private void dimension(int depth, long size) {
    if (rank >= 0 && depth >= rank) {
      throw ragged();
    }
    if (depth == shape.size()) {
      shape.add(size);
    } else if (shape.get(depth) != size) {
      throw ragged();
    }
  }

  private void leafAt(int depth) {
    if (rank < 0) {
      if (depth != shape.size()) {
        throw ragged();
      }
      rank = depth;
    } else if (depth != rank) {
      throw ragged();
    }
  }

  private ServingException ragged() {
    return ServingException.invalid(
        "input '"
            + input
            + "': the nested lists are not a rectangular tensor (all lists at one"
            + " depth must have the same length and hold values at the same depth)");
  }

  private void scalar(JsonNode node) {
    switch (dtype) {
      case FP32 -> data.putFloat(number(node).floatValue());
      case FP64 -> data.putDouble(number(node).doubleValue());
      case INT32 -> data.putInt(integral(node, Integer.MIN_VALUE, Integer.MAX_VALUE).intValue());
      case INT64 -> data.putLong(integral(node, Long.MIN_VALUE, Long.MAX_VALUE).longValue());
      case UINT8 -> data.put((byte) integral(node, 0, 255).intValue());
      case BOOL -> {
        if (!node.isBoolean()) {
          throw wrongType(node);
        }
        data.put((byte) (node.booleanValue() ? 1 : 0));
      }
      case BYTES -> {
        if (node.isTextual()) {
          strings.add(node.textValue().getBytes(StandardCharsets.UTF_8));
        } else if (node.isObject() && node.size() == 1 && node.has("b64")) {
          strings.add(base64(node));
        } else {
          throw wrongType(node);
        }
      }
    }
  }

  private JsonNode number(JsonNode node) {
    if (!node.isNumber()) {
      throw wrongType(node);
    }
    return node;
  }

  private JsonNode integral(JsonNode node, long min, long max) {
    if (!node.isIntegralNumber() || !node.canConvertToLong()) {
      throw wrongType(node);
    }
    long value = node.longValue();
    if (value < min || value > max) {
      throw ServingException.invalid(
          "input '" + input + "': " + value + " is out of range for " + dtype.tfServingName());
    }
    return node;
  }

  private byte[] base64(JsonNode node) {
    JsonNode b64 = node.get("b64");
    if (b64 == null || !b64.isTextual()) {
      throw ServingException.invalid("input '" + input + "': \"b64\" must hold a base64 string");
    }
    try {
      return Base64.getDecoder().decode(b64.textValue());
    } catch (IllegalArgumentException e) {
      throw ServingException.invalid("input '" + input + "': invalid base64: " + e.getMessage());
    }
  }

  private ServingException wrongType(JsonNode node) {
    String shown = node.toString();
    if (shown.length() > 40) {
      shown = shown.substring(0, 40) + "...";
    }
    return ServingException.invalid(
        "JSON Value: "
            + shown
            + " Type: "
            + typeName(node)
            + " is not of expected type: "
            + dtype.tfServingName()
            + " (input '"
            + input
            + "')");
  }

  private static String typeName(JsonNode node) {
    return switch (node.getNodeType()) {
      case STRING -> "String";
      case NUMBER -> "Number";
      case BOOLEAN -> "Boolean";
      case OBJECT -> "Object";
      case NULL -> "Null";
      default -> node.getNodeType().toString();
    };
  }

  private TensorData build() {
    if (rank < 0) {
      rank = shape.size();
    }
    long[] dims = new long[rank];
    for (int i = 0; i < rank; i++) {
      dims[i] = shape.get(i);
    }
    return dtype == DType.BYTES
        ? TensorData.ofStrings(dims, strings.toArray(new byte[0][]))
        : TensorData.ofRaw(dtype, dims, data.toByteArray());
  }
}
