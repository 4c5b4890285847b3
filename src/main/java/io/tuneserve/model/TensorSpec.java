package io.tuneserve.model;

import java.util.Arrays;

/**
 * The type and shape of a signature input or output. A dimension of -1 is unknown.
 *
 * @param name the alias the signature gives this tensor
 * @param tensorName the graph tensor name, e.g. {@code x:0}
 * @param dtype the element type; null when the server cannot carry it (e.g. DT_HALF)
 * @param tfType TensorFlow's name for the element type, e.g. {@code DT_FLOAT}
 * @param shape the shape the signature declares; null when its rank is unknown
 * @param feedShape the shape the graph itself gives the tensor, which a fed value must match (a
 *     kernel handed a tensor of another rank may abort the process); null when unknown
 */
@SuppressWarnings("ArrayRecordComponent") // copied in and out; equals compares contents
public record TensorSpec(
    String name, String tensorName, DType dtype, String tfType, long[] shape, long[] feedShape) {

  public TensorSpec {
    shape = shape == null ? null : shape.clone();
    feedShape = feedShape == null ? null : feedShape.clone();
  }

  /** A spec whose graph shape is the declared one. */
  public static TensorSpec of(String name, String tensorName, DType dtype, long[] shape) {
    return new TensorSpec(name, tensorName, dtype, dtype.tfName(), shape, shape);
  }

  @Override
  public long[] shape() {
    return shape == null ? null : shape.clone();
  }

  public boolean unknownRank() {
    return shape == null;
  }

  /** True when the leading dimension is unknown, so requests can be stacked along it. */
  public boolean hasBatchDimension() {
    return shape != null && shape.length > 0 && shape[0] == -1;
  }

  /** Whether a value of this concrete shape may be fed to the graph. */
  public boolean accepts(long[] concrete) {
    if (feedShape == null) {
      return true;
    }
    if (concrete.length != feedShape.length) {
      return false;
    }
    for (int i = 0; i < feedShape.length; i++) {
      if (feedShape[i] >= 0 && feedShape[i] != concrete[i]) {
        return false;
      }
    }
    return true;
  }

  /** The shape a fed value must have, for error messages ("-1" = any size). */
  public String feedShapeText() {
    return feedShape == null ? "any shape" : Arrays.toString(feedShape);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec other
        && name.equals(other.name)
        && tensorName.equals(other.tensorName)
        && dtype == other.dtype
        && tfType.equals(other.tfType)
        && Arrays.equals(shape, other.shape)
        && Arrays.equals(feedShape, other.feedShape);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * name.hashCode() + tfType.hashCode()) + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + ":" + tfType + (shape == null ? "[?]" : Arrays.toString(shape));
  }
}
