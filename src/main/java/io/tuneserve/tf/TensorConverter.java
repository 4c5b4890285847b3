package io.tuneserve.tf;

import io.tuneserve.model.DType;
import io.tuneserve.model.ErrorKind;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

/** Copies between {@link TensorData} and TensorFlow tensors. */
final class TensorConverter {
  private TensorConverter() {}

  static DType dtypeOf(DataType type) {
    return DType.fromTfName(type.name())
        .orElseThrow(
            () -> new ServingException(ErrorKind.INTERNAL, "unsupported TensorFlow dtype " + type));
  }

  /** A new TensorFlow tensor holding a copy of {@code data}; the caller closes it. */
  static Tensor toTensor(TensorData data) {
    Shape shape = Shape.of(data.shape());
    if (data.dtype() == DType.BYTES) {
      return TString.tensorOfBytes(shape, DataBuffers.ofObjects(data.strings()));
    }
    return Tensor.of(tensorClass(data.dtype()), shape, DataBuffers.of(data.raw(), true, false));
  }

  /** A copy of a TensorFlow tensor's contents. */
  static TensorData fromTensor(Tensor tensor) {
    DType dtype = dtypeOf(tensor.dataType());
    long[] shape = tensor.shape().asArray();
    if (dtype == DType.BYTES) {
      NdArray<byte[]> bytes = ((TString) tensor).asBytes();
      byte[][] values = new byte[Math.toIntExact(bytes.size())][];
      int[] index = {0};
      bytes.scalars().forEach(s -> values[index[0]++] = s.getObject());
      return TensorData.ofStrings(shape, values);
    }
    byte[] raw = new byte[Math.toIntExact(tensor.numBytes())];
    tensor.asRawTensor().data().read(raw);
    return TensorData.ofRaw(dtype, shape, raw);
  }

  private static Class<? extends TType> tensorClass(DType dtype) {
    return switch (dtype) {
      case FP32 -> TFloat32.class;
      case FP64 -> TFloat64.class;
      case INT32 -> TInt32.class;
      case INT64 -> TInt64.class;
      case UINT8 -> TUint8.class;
      case BOOL -> TBool.class;
      case BYTES -> TString.class;
    };
  }
}
