package io.tuneserve.model;

import java.util.List;

/**
 * One feature of a {@code tf.Example}: a list of byte strings, floats or 64-bit integers, the three
 * kinds the format knows.
 */
public sealed interface ExampleFeature {
  /** A {@code bytes_list}. */
  record Bytes(List<byte[]> values) implements ExampleFeature {
    public Bytes {
      values = List.copyOf(values);
    }
  }

  /** A {@code float_list}. */
  record Floats(List<Float> values) implements ExampleFeature {
    public Floats {
      values = List.copyOf(values);
    }
  }

  /** An {@code int64_list}. */
  record Int64s(List<Long> values) implements ExampleFeature {
    public Int64s {
      values = List.copyOf(values);
    }
  }
}
