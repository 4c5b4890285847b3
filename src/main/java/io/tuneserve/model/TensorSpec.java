package io.tuneserve.model;

import java.util.Arrays;

/**
 * The declared type and shape of a signature input or output. A dimension of -1 is unknown; a
 * null-free empty array with {@code unknownRank} set means the rank itself is unknown.
 *
 * @param name the alias the signature gives this tensor
 * @param tensorName the graph tensor name, e.g. {@code x:0}
 */
public record TensorSpec(String name, String tensorName, DType dtype, long[] shape, boolean unknownRank) {

  public TensorSpec {
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  /** True when the leading dimension is unknown, so requests can be stacked along it. */
  public boolean hasBatchDimension() {
    return !unknownRank && shape.length > 0 && shape[0] == -1;
  }

  /** Whether a concrete shape fits this declaration. */
  public boolean accepts(long[] concrete) {
    if (unknownRank) {
      return true;
    }
    if (concrete.length != shape.length) {
      return false;
    }
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] >= 0 && shape[i] != concrete[i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec other
        && name.equals(other.name)
        && tensorName.equals(other.tensorName)
        && dtype == other.dtype
        && Arrays.equals(shape, other.shape)
        && unknownRank == other.unknownRank;
  }

  @Override
  public int hashCode() {
    return 31 * (31 * name.hashCode() + dtype.hashCode()) + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + ":" + dtype.oipName() + (unknownRank ? "[?]" : Arrays.toString(shape));
  }
}
