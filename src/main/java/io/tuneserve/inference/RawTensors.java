package io.tuneserve.inference;

import io.tuneserve.model.DType;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Tensors as the Open Inference Protocol's binary extension and its gRPC raw contents lay them out:
 * the elements little-endian, row-major, no padding; each BYTES element a 4-byte little-endian
 * length and its bytes.
 */
public final class RawTensors {
  private RawTensors() {}

  public static TensorData read(
      String name, DType dtype, long[] shape, byte[] body, int offset, int size) {
    long count = TensorData.elementCount(shape);
    if (dtype != DType.BYTES) {
      long expected = count * dtype.elementSize();
      if (expected != size) {
        throw ServingException.invalid(
            "input '"
                + name
                + "': shape "
                + Arrays.toString(shape)
                + " of "
                + dtype.oipName()
                + " needs "
                + expected
                + " bytes, binary_data_size is "
                + size);
      }
      // A body that is this tensor alone (a gRPC raw entry) is taken as it is, not copied again.
      byte[] raw =
          offset == 0 && size == body.length
              ? body
              : Arrays.copyOfRange(body, offset, offset + size);
      return TensorData.ofRaw(dtype, shape, raw);
    }
    ByteBuffer in = ByteBuffer.wrap(body, offset, size).order(ByteOrder.LITTLE_ENDIAN);
    if (count > size / 4) {
      throw ServingException.invalid(
          "input '" + name + "': " + size + " bytes cannot hold " + count + " strings");
    }
    byte[][] strings = new byte[(int) count][];
    for (int i = 0; i < count; i++) {
      if (in.remaining() < 4) {
        throw ServingException.invalid(
            "input '" + name + "': binary data ends inside element " + i);
      }
      int length = in.getInt();
      if (length < 0 || length > in.remaining()) {
        throw ServingException.invalid(
            "input '"
                + name
                + "': element "
                + i
                + " claims "
                + length
                + " bytes, "
                + in.remaining()
                + " remain");
      }
      strings[i] = new byte[length];
      in.get(strings[i]);
    }
    if (in.hasRemaining()) {
      throw ServingException.invalid(
          "input '" + name + "': " + in.remaining() + " bytes left after " + count + " strings");
    }
    return TensorData.ofStrings(shape, strings);
  }

  public static byte[] write(TensorData tensor) {
    if (tensor.dtype() != DType.BYTES) {
      return tensor.raw();
    }
    int total = 0;
    for (byte[] s : tensor.strings()) {
      total += 4 + s.length;
    }
    ByteBuffer out = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    for (byte[] s : tensor.strings()) {
      out.putInt(s.length).put(s);
    }
    return out.array();
  }
}
