package io.tuneserve.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.tuneserve.grpc.proto.tensorflow.DataType;
import io.tuneserve.grpc.proto.tensorflow.TensorProto;
import io.tuneserve.grpc.proto.tensorflow.TensorShapeProto;
import io.tuneserve.model.DType;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * TensorFlow's {@code TensorProto} to and from the server's tensors, as TensorFlow reads it: the
 * values from {@code tensor_content} (little-endian) or from the typed field of the dtype, where
 * fewer values than elements repeat the last one (none: zeros), and more are refused.
 */
final class TensorProtoCodec {
  private TensorProtoCodec() {}

  /**
   * The tensor a proto holds; {@code maxBytes} bounds what a few values repeated to fill a large
   * shape may expand to (no larger than a message that sent every value).
   */
  static TensorData decode(String name, TensorProto proto, long maxBytes) {
    DType dtype =
        DType.fromTfName(proto.getDtype().name())
            .orElseThrow(
                () ->
                    ServingException.invalid(
                        "input '"
                            + name
                            + "' has dtype "
                            + proto.getDtype()
                            + "; the server takes "
                            + Arrays.stream(DType.values()).map(DType::tfName).toList()));
    long[] shape = shape(name, proto.getTensorShape());
    long count;
    try {
      count = TensorData.elementCount(shape);
    } catch (ArithmeticException e) {
      throw ServingException.invalid(
          "input '" + name + "': shape " + Arrays.toString(shape) + " is too large");
    }
    long expanded = count * Math.max(1, dtype.elementSize());
    if (expanded > maxBytes) {
      throw ServingException.invalid(
          "input '"
              + name
              + "': shape "
              + Arrays.toString(shape)
              + " holds "
              + expanded
              + " bytes, more than a request may carry ("
              + maxBytes
              + ")");
    }
    if (dtype == DType.BYTES) {
      return strings(name, shape, count, proto.getStringValList());
    }
    if (!proto.getTensorContent().isEmpty()) {
      long expected = count * dtype.elementSize();
      if (proto.getTensorContent().size() != expected) {
        throw ServingException.invalid(
            "input '"
                + name
                + "': tensor_content has "
                + proto.getTensorContent().size()
                + " bytes but shape "
                + Arrays.toString(shape)
                + " of "
                + dtype.tfName()
                + " needs "
                + expected);
      }
      return TensorData.ofRaw(dtype, shape, proto.getTensorContent().toByteArray());
    }
    int given = given(dtype, proto);
    if (given > count) {
      throw ServingException.invalid(
          "input '"
              + name
              + "': "
              + given
              + " values for shape "
              + Arrays.toString(shape)
              + ", which holds "
              + count);
    }
    if (count > Integer.MAX_VALUE / Math.max(1, dtype.elementSize())) {
      throw ServingException.invalid(
          "input '" + name + "': shape " + Arrays.toString(shape) + " is too large");
    }
    ByteBuffer out =
        ByteBuffer.allocate((int) count * dtype.elementSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < count; i++) {
      int from = given == 0 ? -1 : Math.min(i, given - 1);
      put(dtype, proto, from, out);
    }
    return TensorData.ofRaw(dtype, shape, out.array());
  }

  private static long[] shape(String name, TensorShapeProto shape) {
    if (shape.getUnknownRank()) {
      throw ServingException.invalid("input '" + name + "' has a shape of unknown rank");
    }
    long[] dims = new long[shape.getDimCount()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = shape.getDim(i).getSize();
      if (dims[i] < 0) {
        throw ServingException.invalid(
            "input '" + name + "': dimension " + i + " is " + dims[i] + "; sizes must be >= 0");
      }
    }
    return dims;
  }

  private static TensorData strings(String name, long[] shape, long count, List<ByteString> given) {
    if (given.size() > count) {
      throw ServingException.invalid(
          "input '" + name + "': " + given.size() + " strings for " + count + " elements");
    }
    if (count > Integer.MAX_VALUE) {
      throw ServingException.invalid("input '" + name + "' is too large");
    }
    byte[][] strings = new byte[(int) count][];
    for (int i = 0; i < count; i++) {
      strings[i] =
          given.isEmpty() ? new byte[0] : given.get(Math.min(i, given.size() - 1)).toByteArray();
    }
    return TensorData.ofStrings(shape, strings);
  }

  private static int given(DType dtype, TensorProto proto) {
    return switch (dtype) {
      case FP32 -> proto.getFloatValCount();
      case FP64 -> proto.getDoubleValCount();
      case INT32, UINT8 -> proto.getIntValCount();
      case INT64 -> proto.getInt64ValCount();
      case BOOL -> proto.getBoolValCount();
      case BYTES -> proto.getStringValCount();
    };
  }

  /** Element {@code i} of the typed values (zero when {@code i} is -1) into {@code out}. */
  private static void put(DType dtype, TensorProto proto, int i, ByteBuffer out) {
    switch (dtype) {
      case FP32 -> out.putFloat(i < 0 ? 0f : proto.getFloatVal(i));
      case FP64 -> out.putDouble(i < 0 ? 0d : proto.getDoubleVal(i));
      case INT32 -> out.putInt(i < 0 ? 0 : proto.getIntVal(i));
      case UINT8 -> out.put((byte) (i < 0 ? 0 : proto.getIntVal(i)));
      case INT64 -> out.putLong(i < 0 ? 0L : proto.getInt64Val(i));
      case BOOL -> out.put((byte) (i >= 0 && proto.getBoolVal(i) ? 1 : 0));
      case BYTES -> throw new IllegalStateException("strings are read whole");
    }
  }

  /** A tensor as TF Serving answers it: numbers in {@code tensor_content}, strings as values. */
  static TensorProto encode(TensorData tensor) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long dim : tensor.shape()) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(dim));
    }
    TensorProto.Builder proto =
        TensorProto.newBuilder()
            .setDtype(DataType.valueOf(tensor.dtype().tfName()))
            .setTensorShape(shape);
    if (tensor.dtype() == DType.BYTES) {
      for (byte[] string : tensor.strings()) {
        proto.addStringVal(UnsafeByteOperations.unsafeWrap(string));
      }
    } else {
      proto.setTensorContent(UnsafeByteOperations.unsafeWrap(tensor.raw()));
    }
    return proto.build();
  }
}
