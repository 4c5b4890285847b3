package io.tuneserve.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tuneserve.model.DType;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON array read straight from the request bytes into a tensor-shaped block: numbers in one flat
 * array, anything else (strings, {@code {"b64": ...}} objects, named rows) kept as tree nodes at
 * their flat index. Numeric arrays, the bulk of inference traffic, never become a tree.
 */
final class JsonArray {
  private final List<Long> shape = new ArrayList<>();
  private int rank = -1;
  private double[] numbers = new double[64];
  private int count;
  private final BitSet fractional = new BitSet();
  private Map<Integer, Long> exactLongs;
  private Map<Integer, JsonNode> others;

  private JsonArray() {}

  /** Reads the array at the cursor, through its closing bracket. */
  static JsonArray read(JsonCursor in, String field) {
    JsonArray array = new JsonArray();
    in.expect('[');
    array.readArray(in, 0, field);
    if (array.rank < 0) {
      array.rank = array.shape.size();
    }
    return array;
  }

  private void readArray(JsonCursor in, int depth, String field) {
    if (depth >= JsonCursor.MAX_NESTING_DEPTH) {
      throw in.syntax("'" + field + "' is nested deeper than " + JsonCursor.MAX_NESTING_DEPTH);
    }
    long size = 0;
    int shapeIndex = depth;
    if (rank >= 0 && depth >= rank) {
      throw ragged(field);
    }
    boolean firstAtDepth = shapeIndex == shape.size();
    if (firstAtDepth) {
      shape.add(-1L);
    }
    if (in.peek() == ']') {
      in.skip();
    } else {
      while (true) {
        size++;
        int next = in.peek();
        if (next < 0) {
          throw ServingException.invalid(
              "JSON Parse error: unexpected end of input in '" + field + "'");
        }
        if (next == '[') {
          in.skip();
          readArray(in, depth + 1, field);
        } else {
          leafAt(depth + 1, field);
          if (JsonCursor.startsNumber(next)) {
            in.number();
            addNumber(in);
          } else {
            addOther(in.value());
          }
        }
        int after = in.peek();
        if (after == ',') {
          in.skip();
        } else if (after == ']') {
          in.skip();
          break;
        } else if (after < 0) {
          throw ServingException.invalid(
              "JSON Parse error: unexpected end of input in '" + field + "'");
        } else {
          throw in.syntax("expected ',' or ']' in '" + field + "'");
        }
      }
    }
    long known = shape.get(shapeIndex);
    if (known < 0) {
      shape.set(shapeIndex, size);
    } else if (known != size) {
      throw ragged(field);
    }
  }

  private void leafAt(int depth, String field) {
    if (rank < 0) {
      if (depth != shape.size()) {
        throw ragged(field);
      }
      rank = depth;
    } else if (depth != rank) {
      throw ragged(field);
    }
  }

  private static ServingException ragged(String field) {
    return ServingException.invalid(
        "'"
            + field
            + "': the nested lists are not a rectangular tensor (all lists at one depth"
            + " must have the same length and hold values at the same depth)");
  }

  private void addNumber(JsonCursor in) {
    if (in.numberBig != null) {
      addOther(JsonNodeFactory.instance.numberNode(in.numberBig));
      return;
    }
    if (count == numbers.length) {
      numbers = Arrays.copyOf(numbers, count * 2);
    }
    if (in.numberFractional) {
      fractional.set(count);
    } else if (in.numberExactLong != 0) {
      if (exactLongs == null) {
        exactLongs = new HashMap<>();
      }
      exactLongs.put(count, in.numberExactLong);
    }
    numbers[count++] = in.numberValue;
  }

  private void addOther(JsonNode node) {
    if (others == null) {
      others = new HashMap<>();
    }
    if (count == numbers.length) {
      numbers = Arrays.copyOf(numbers, count * 2);
    }
    others.put(count++, node);
  }

  /** True when every leaf is a number, so {@link #toTensor} applies. */
  boolean isNumeric() {
    return others == null;
  }

  long[] shape() {
    long[] dims = new long[rank];
    for (int i = 0; i < rank; i++) {
      dims[i] = shape.get(i);
    }
    return dims;
  }

  /**
   * The leaves as a tensor of {@code dtype}, in the shape the nesting gives (numeric arrays only).
   */
  TensorData toTensor(String input, DType dtype) {
    return toTensor(input, dtype, shape());
  }

  /** The leaves as a tensor of {@code dtype} and the given shape (numeric arrays only). */
  TensorData toTensor(String input, DType dtype, long[] targetShape) {
    if (TensorData.elementCount(targetShape) != count) {
      throw ServingException.invalid(
          "input '"
              + input
              + "': shape "
              + Arrays.toString(targetShape)
              + " needs "
              + TensorData.elementCount(targetShape)
              + " elements, data has "
              + count);
    }
    if (dtype == DType.BYTES && count == 0) {
      return TensorData.ofStrings(targetShape, new byte[0][]);
    }
    LittleEndianBuffer out = new LittleEndianBuffer(count * Math.max(1, dtype.elementSize()));
    for (int i = 0; i < count; i++) {
      double value = numbers[i];
      switch (dtype) {
        case FP32 -> out.putFloat((float) value);
        case FP64 -> out.putDouble(value);
        case INT32 ->
            out.putInt((int) integral(input, dtype, i, Integer.MIN_VALUE, Integer.MAX_VALUE));
        case INT64 -> out.putLong(integral(input, dtype, i, Long.MIN_VALUE, Long.MAX_VALUE));
        case UINT8 -> out.put((byte) integral(input, dtype, i, 0, 255));
        case BOOL, BYTES -> throw notOfType(input, dtype, i);
      }
    }
    return TensorData.ofRaw(dtype, targetShape, out.toByteArray());
  }

  private long integral(String input, DType dtype, int i, long min, long max) {
    if (fractional.get(i)) {
      throw notOfType(input, dtype, i);
    }
    long value =
        exactLongs != null && exactLongs.containsKey(i) ? exactLongs.get(i) : (long) numbers[i];
    if (value < min || value > max) {
      throw ServingException.invalid(
          "input '" + input + "': " + value + " is out of range for " + dtype.tfServingName());
    }
    return value;
  }

  private ServingException notOfType(String input, DType dtype, int i) {
    return ServingException.invalid(
        "JSON Value: "
            + format(i)
            + " Type: Number is not of expected type: "
            + dtype.tfServingName()
            + " (input '"
            + input
            + "')");
  }

  private String format(int i) {
    return fractional.get(i) ? Double.toString(numbers[i]) : Long.toString((long) numbers[i]);
  }

  /** The array as a JSON tree, for values the numeric path does not cover. */
  JsonNode toTree() {
    int[] next = {0};
    return build(0, next);
  }

  private JsonNode build(int depth, int[] next) {
    if (depth == rank) {
      int i = next[0]++;
      if (others != null && others.containsKey(i)) {
        return others.get(i);
      }
      if (exactLongs != null && exactLongs.containsKey(i)) {
        return JsonNodeFactory.instance.numberNode(exactLongs.get(i));
      }
      return fractional.get(i)
          ? JsonNodeFactory.instance.numberNode(numbers[i])
          : JsonNodeFactory.instance.numberNode((long) numbers[i]);
    }
    ArrayNode array = JsonNodeFactory.instance.arrayNode();
    for (long j = 0; j < shape.get(depth); j++) {
      array.add(build(depth + 1, next));
    }
    return array;
  }
}
