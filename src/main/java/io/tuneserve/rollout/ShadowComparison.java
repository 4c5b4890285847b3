package io.tuneserve.rollout;

import io.tuneserve.model.DType;
import io.tuneserve.model.TensorData;
import java.util.List;
import java.util.Map;

/**
 * Whether a shadow's answer is the answer stable gave: for a classifier, the same class for every
 * row, compared by label so that a candidate with more classes still agrees; for any other output,
 * the same values to a relative 1e-3.
 */
public final class ShadowComparison {
  private static final double TOLERANCE = 1e-3;

  private ShadowComparison() {}

  /**
   * @param scores the name of the classifier's scores output, or null when it is not a classifier
   */
  public static boolean agrees(
      Map<String, TensorData> stable,
      List<String> stableLabels,
      Map<String, TensorData> shadow,
      List<String> shadowLabels,
      String scores) {
    if (scores != null && stable.containsKey(scores) && shadow.containsKey(scores)) {
      return sameClasses(stable.get(scores), stableLabels, shadow.get(scores), shadowLabels);
    }
    boolean compared = false;
    for (Map.Entry<String, TensorData> entry : stable.entrySet()) {
      TensorData theirs = shadow.get(entry.getKey());
      if (theirs == null) {
        continue;
      }
      compared = true;
      if (!close(entry.getValue(), theirs)) {
        return false;
      }
    }
    return compared;
  }

  private static boolean sameClasses(
      TensorData stable, List<String> stableLabels, TensorData shadow, List<String> shadowLabels) {
    if (stable.rank() != 2 || shadow.rank() != 2 || stable.dim(0) != shadow.dim(0)) {
      return false;
    }
    int[] ours = stable.argmaxRows();
    int[] theirs = shadow.argmaxRows();
    for (int row = 0; row < ours.length; row++) {
      if (!name(ours[row], stableLabels).equals(name(theirs[row], shadowLabels))) {
        return false;
      }
    }
    return true;
  }

  private static String name(int index, List<String> labels) {
    return index < labels.size() ? labels.get(index) : Integer.toString(index);
  }

  private static boolean close(TensorData a, TensorData b) {
    if (a.dtype() != b.dtype() || !java.util.Arrays.equals(a.shape(), b.shape())) {
      return false;
    }
    if (a.dtype() == DType.BYTES) {
      return java.util.Arrays.deepEquals(a.strings(), b.strings());
    }
    int n = Math.toIntExact(a.elementCount());
    for (int i = 0; i < n; i++) {
      double x = a.doubleAt(i);
      double y = b.doubleAt(i);
      if (Math.abs(x - y) > TOLERANCE * Math.max(1, Math.max(Math.abs(x), Math.abs(y)))) {
        return false;
      }
    }
    return true;
  }
}
