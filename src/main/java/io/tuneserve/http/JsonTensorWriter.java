package io.tuneserve.http;

import com.fasterxml.jackson.core.JsonGenerator;
import io.tuneserve.model.TensorData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Writes tensors as JSON: nested lists (TF Serving) or a flat list (Open Inference Protocol). */
final class JsonTensorWriter {
  private JsonTensorWriter() {}

  /** The whole tensor as nested lists (a scalar as a bare value). */
  static void writeNested(JsonGenerator json, TensorData tensor, boolean bytesAsBase64)
      throws IOException {
    writeNested(json, tensor, tensor.littleEndianOrNull(), 0, 0, bytesAsBase64);
  }

  /** Row {@code row} of the tensor (its leading dimension removed) as nested lists. */
  static void writeRow(JsonGenerator json, TensorData tensor, long row, boolean bytesAsBase64)
      throws IOException {
    long rowElements = tensor.dim(0) == 0 ? 0 : tensor.elementCount() / tensor.dim(0);
    writeNested(json, tensor, tensor.littleEndianOrNull(), 1, row * rowElements, bytesAsBase64);
  }

  /** Every element in row-major order as one flat list. */
  static void writeFlat(JsonGenerator json, TensorData tensor) throws IOException {
    ByteBuffer data = tensor.littleEndianOrNull();
    long count = tensor.elementCount();
    json.writeStartArray();
    for (int i = 0; i < count; i++) {
      writeElement(json, tensor, data, i, false);
    }
    json.writeEndArray();
  }

  private static long writeNested(
      JsonGenerator json, TensorData tensor, ByteBuffer data, int depth, long index, boolean b64)
      throws IOException {
    if (depth == tensor.rank()) {
      writeElement(json, tensor, data, Math.toIntExact(index), b64);
      return index + 1;
    }
    json.writeStartArray();
    long next = index;
    for (long i = 0; i < tensor.dim(depth); i++) {
      next = writeNested(json, tensor, data, depth + 1, next, b64);
    }
    json.writeEndArray();
    return next;
  }

  private static void writeElement(
      JsonGenerator json, TensorData tensor, ByteBuffer data, int i, boolean b64)
      throws IOException {
    switch (tensor.dtype()) {
      case FP32 -> json.writeNumber(data.getFloat(i * 4));
      case FP64 -> json.writeNumber(data.getDouble(i * 8));
      case INT32 -> json.writeNumber(data.getInt(i * 4));
      case INT64 -> json.writeNumber(data.getLong(i * 8));
      case UINT8 -> json.writeNumber(Byte.toUnsignedInt(data.get(i)));
      case BOOL -> json.writeBoolean(data.get(i) != 0);
      case BYTES -> {
        byte[] value = tensor.strings()[i];
        if (b64) {
          json.writeStartObject();
          json.writeBinaryField("b64", value);
          json.writeEndObject();
        } else {
          json.writeString(new String(value, StandardCharsets.UTF_8));
        }
      }
    }
  }
}
