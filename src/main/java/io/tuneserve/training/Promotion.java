package io.tuneserve.training;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Whether a candidate version becomes {@code stable}: only if it is at least as accurate as the
 * current stable version on the same held-out examples.
 *
 * @param stableVersion the version compared with; 0 when the model had none
 * @param candidateAccuracy on the held-out examples; NaN when there were none
 * @param stableAccuracy the stable version's on the same examples; NaN when not measured
 * @param heldOut how many examples both were judged on
 */
public record Promotion(
    boolean promoted,
    String reason,
    long stableVersion,
    double candidateAccuracy,
    double stableAccuracy,
    int heldOut) {

  /** The decision for a candidate with {@code candidate} accuracy against a stable version. */
  public static Promotion decide(long stableVersion, double candidate, double stable, int heldOut) {
    if (stableVersion == 0) {
      return new Promotion(
          true, "the model has no stable version to compare with", 0, candidate, stable, heldOut);
    }
    if (heldOut == 0 || Double.isNaN(candidate) || Double.isNaN(stable)) {
      return new Promotion(
          false,
          "no held-out examples to compare the candidate with stable version "
              + stableVersion
              + " on (set validation_fraction or validation_dataset)",
          stableVersion,
          candidate,
          stable,
          heldOut);
    }
    String figures =
        String.format(
            Locale.ROOT,
            "%.4f against stable version %d's %.4f on the same %d held-out examples",
            candidate,
            stableVersion,
            stable,
            heldOut);
    return candidate >= stable
        ? new Promotion(true, "promoted: " + figures, stableVersion, candidate, stable, heldOut)
        : new Promotion(
            false, "kept as a candidate: " + figures, stableVersion, candidate, stable, heldOut);
  }

  /** The decision as plain maps, for JSON; undefined accuracies are null. */
  public Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("promoted", promoted);
    map.put("reason", reason);
    if (stableVersion > 0) {
      map.put("stable_version", Long.toString(stableVersion));
    }
    map.put("candidate_accuracy", Double.isNaN(candidateAccuracy) ? null : candidateAccuracy);
    map.put("stable_accuracy", Double.isNaN(stableAccuracy) ? null : stableAccuracy);
    map.put("held_out_examples", heldOut);
    return map;
  }
}
