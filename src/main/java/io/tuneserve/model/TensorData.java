package io.tuneserve.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * A dense tensor held as little-endian bytes (the layout of TensorFlow's raw buffers on x86 and of
 * the Open Inference Protocol binary extension), or as a list of byte strings for {@link
 * DType#BYTES}. Instances are immutable by convention: the arrays are never modified after
 * construction.
 */
public final class TensorData {
  private final DType dtype;
  private final long[] shape;
  private final byte[] raw;
  private final byte[][] strings;

  private TensorData(DType dtype, long[] shape, byte[] raw, byte[][] strings) {
    this.dtype = dtype;
    this.shape = shape;
    this.raw = raw;
    this.strings = strings;
  }

  /** A fixed-size tensor from little-endian bytes. */
  public static TensorData ofRaw(DType dtype, long[] shape, byte[] raw) {
    if (dtype == DType.BYTES) {
      throw new IllegalArgumentException("BYTES tensors hold strings, not raw bytes");
    }
    long expected = elementCount(shape) * dtype.elementSize();
    if (expected != raw.length) {
      throw new IllegalArgumentException(
          "shape "
              + Arrays.toString(shape)
              + " of "
              + dtype.oipName()
              + " needs "
              + expected
              + " bytes, got "
              + raw.length);
    }
    return new TensorData(dtype, shape.clone(), raw, null);
  }

  /** A string tensor. */
  public static TensorData ofStrings(long[] shape, byte[][] strings) {
    if (elementCount(shape) != strings.length) {
      throw new IllegalArgumentException(
          "shape "
              + Arrays.toString(shape)
              + " needs "
              + elementCount(shape)
              + " strings, got "
              + strings.length);
    }
    return new TensorData(DType.BYTES, shape.clone(), null, strings);
  }

  public static TensorData ofFloats(long[] shape, float[] values) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asFloatBuffer().put(values);
    return ofRaw(DType.FP32, shape, buffer.array());
  }

  public static long elementCount(long[] shape) {
    long count = 1;
    for (long dim : shape) {
      if (dim < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      }
      count = Math.multiplyExact(count, dim);
    }
    return count;
  }

  public DType dtype() {
    return dtype;
  }

  public long[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public long dim(int i) {
    return shape[i];
  }

  public long elementCount() {
    return elementCount(shape);
  }

  /** The little-endian bytes of a fixed-size tensor (not a copy: do not modify). */
  public byte[] raw() {
    if (raw == null) {
      throw new IllegalStateException("BYTES tensor has no raw buffer");
    }
    return raw;
  }

  /** The elements of a {@link DType#BYTES} tensor (not a copy: do not modify). */
  public byte[][] strings() {
    if (strings == null) {
      throw new IllegalStateException(dtype + " tensor has no strings");
    }
    return strings;
  }

  public ByteBuffer littleEndian() {
    return ByteBuffer.wrap(raw()).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** A little-endian view of the raw bytes, or null for a {@link DType#BYTES} tensor. */
  public ByteBuffer littleEndianOrNull() {
    return raw == null ? null : littleEndian();
  }

  /** The value at a flat index as a double (numeric and bool tensors). */
  public double doubleAt(int index) {
    ByteBuffer b = littleEndian();
    return switch (dtype) {
      case FP32 -> b.getFloat(index * 4);
      case FP64 -> b.getDouble(index * 8);
      case UINT8 -> Byte.toUnsignedInt(b.get(index));
      case BOOL -> b.get(index) != 0 ? 1 : 0;
      case INT32 -> b.getInt(index * 4);
      case INT64 -> b.getLong(index * 8);
      case BYTES -> throw new IllegalStateException("BYTES tensor has no numeric values");
    };
  }

  /** Stacks tensors along their leading dimension; all must share dtype and trailing shape. */
  public static TensorData concat(List<TensorData> parts) {
    TensorData first = parts.get(0);
    if (parts.size() == 1) {
      return first;
    }
    long rows = 0;
    for (TensorData part : parts) {
      rows += part.shape[0];
    }
    long[] shape = first.shape.clone();
    shape[0] = rows;
    if (first.dtype == DType.BYTES) {
      byte[][] all = new byte[Math.toIntExact(elementCount(shape))][];
      int at = 0;
      for (TensorData part : parts) {
        System.arraycopy(part.strings, 0, all, at, part.strings.length);
        at += part.strings.length;
      }
      return new TensorData(DType.BYTES, shape, null, all);
    }
    int total = 0;
    for (TensorData part : parts) {
      total += part.raw.length;
    }
    byte[] all = new byte[total];
    int at = 0;
    for (TensorData part : parts) {
      System.arraycopy(part.raw, 0, all, at, part.raw.length);
      at += part.raw.length;
    }
    return new TensorData(first.dtype, shape, all, null);
  }

  /** Rows {@code [from, from + count)} along the leading dimension. */
  public TensorData rows(long from, long count) {
    if (from == 0 && count == shape[0]) {
      return this;
    }
    long[] sliceShape = shape.clone();
    sliceShape[0] = count;
    long rowElements = shape[0] == 0 ? 0 : elementCount() / shape[0];
    int start = Math.toIntExact(from * rowElements);
    int length = Math.toIntExact(count * rowElements);
    if (dtype == DType.BYTES) {
      return new TensorData(
          dtype, sliceShape, null, Arrays.copyOfRange(strings, start, start + length));
    }
    int size = dtype.elementSize();
    return new TensorData(
        dtype, sliceShape, Arrays.copyOfRange(raw, start * size, (start + length) * size), null);
  }

  /** The given rows along the leading dimension, in the given order. */
  public TensorData selectRows(int[] rows) {
    long[] selectedShape = shape.clone();
    selectedShape[0] = rows.length;
    int rowElements = shape[0] == 0 ? 0 : Math.toIntExact(elementCount() / shape[0]);
    if (dtype == DType.BYTES) {
      byte[][] selected = new byte[rows.length * rowElements][];
      for (int i = 0; i < rows.length; i++) {
        System.arraycopy(strings, rows[i] * rowElements, selected, i * rowElements, rowElements);
      }
      return new TensorData(dtype, selectedShape, null, selected);
    }
    int rowBytes = rowElements * dtype.elementSize();
    byte[] selected = new byte[rows.length * rowBytes];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(raw, rows[i] * rowBytes, selected, i * rowBytes, rowBytes);
    }
    return new TensorData(dtype, selectedShape, selected, null);
  }

  /** For a tensor {@code [n, classes]} of scores, the index of each row's highest score. */
  public int[] argmaxRows() {
    if (rank() != 2) {
      throw new IllegalArgumentException("argmax needs [rows, classes], got " + this);
    }
    int rows = Math.toIntExact(shape[0]);
    int width = Math.toIntExact(shape[1]);
    int[] best = new int[rows];
    for (int r = 0; r < rows; r++) {
      for (int c = 1; c < width; c++) {
        if (doubleAt(r * width + c) > doubleAt(r * width + best[r])) {
          best[r] = c;
        }
      }
    }
    return best;
  }

  /** True when this tensor's shape, leading dimension aside, equals {@code other}'s. */
  public boolean sameTrailingShape(TensorData other) {
    return shape.length == other.shape.length
        && Arrays.equals(shape, 1, shape.length, other.shape, 1, other.shape.length);
  }

  @Override
  public String toString() {
    return dtype.oipName() + Arrays.toString(shape);
  }
}
