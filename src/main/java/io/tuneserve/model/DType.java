package io.tuneserve.model;

import java.util.Locale;
import java.util.Optional;

/** Element types a served tensor can have, with the names each wire protocol uses for them. */
public enum DType {
  FP32("FP32", "DT_FLOAT", 4),
  FP64("FP64", "DT_DOUBLE", 8),
  INT32("INT32", "DT_INT32", 4),
  INT64("INT64", "DT_INT64", 8),
  UINT8("UINT8", "DT_UINT8", 1),
  BOOL("BOOL", "DT_BOOL", 1),
  BYTES("BYTES", "DT_STRING", 0);

  private final String oipName;
  private final String tfName;
  private final int elementSize;

  DType(String oipName, String tfName, int elementSize) {
    this.oipName = oipName;
    this.tfName = tfName;
    this.elementSize = elementSize;
  }

  /** The Open Inference Protocol datatype name, e.g. {@code FP32}. */
  public String oipName() {
    return oipName;
  }

  /** The TensorFlow DataType enum name, e.g. {@code DT_FLOAT}. */
  public String tfName() {
    return tfName;
  }

  /** Bytes per element; 0 for variable-length {@link #BYTES}. */
  public int elementSize() {
    return elementSize;
  }

  public boolean isFloatingPoint() {
    return this == FP32 || this == FP64;
  }

  public boolean isInteger() {
    return this == INT32 || this == INT64 || this == UINT8;
  }

  /** The name TF Serving uses in "not of expected type" errors. */
  public String tfServingName() {
    return switch (this) {
      case FP32 -> "float";
      case FP64 -> "double";
      case BYTES -> "string";
      default -> name().toLowerCase(Locale.ROOT);
    };
  }

  public static Optional<DType> fromOipName(String name) {
    for (DType type : values()) {
      if (type.oipName.equals(name)) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }

  public static Optional<DType> fromTfName(String name) {
    for (DType type : values()) {
      if (type.tfName.equals(name)) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }
}
