package io.tuneserve.training;

import io.tuneserve.rollout.RolloutPolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Whether a candidate version becomes {@code stable}: only if it is at least as accurate as the
 * current stable version on the same held-out examples, every set of them; then, where the model's
 * rollout settings ask for one, after a canary or shadow trial.
 *
 * @param stableVersion the version compared with; 0 when the model had none
 * @param checks the held-out sets both were judged on
 * @param trial the rollout settings of the trial the candidate went on to, or null
 */
public record Promotion(
    boolean promoted, String reason, long stableVersion, List<Check> checks, RolloutPolicy trial) {

  public Promotion {
    checks = List.copyOf(checks);
  }

  /**
   * Accuracy on one held-out set.
   *
   * @param set which one: {@code validation} or {@code test}
   * @param candidate NaN when not measured
   * @param stable NaN when not measured
   */
  public record Check(String set, double candidate, double stable, int examples) {
    boolean measured() {
      return examples > 0 && !Double.isNaN(candidate) && !Double.isNaN(stable);
    }

    boolean passed() {
      return candidate >= stable;
    }

    String figures(long stableVersion) {
      return String.format(
          Locale.ROOT,
          "%.4f against stable version %d's %.4f on the same %d %s examples",
          candidate,
          stableVersion,
          stable,
          examples,
          set);
    }

    Map<String, Object> toMap() {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("set", set);
      map.put("candidate_accuracy", Double.isNaN(candidate) ? null : candidate);
      map.put("stable_accuracy", Double.isNaN(stable) ? null : stable);
      map.put("examples", examples);
      return map;
    }
  }

  /** The decision for a candidate judged on {@code checks} against a stable version. */
  public static Promotion decide(long stableVersion, List<Check> checks) {
    if (stableVersion == 0) {
      return new Promotion(
          true, "the model has no stable version to compare with", 0, checks, null);
    }
    List<Check> measured = checks.stream().filter(Check::measured).toList();
    if (measured.isEmpty()) {
      return new Promotion(
          false,
          "no held-out examples to compare the candidate with stable version "
              + stableVersion
              + " on (set validation_fraction, validation_dataset or test_dataset)",
          stableVersion,
          checks,
          null);
    }
    boolean passed = measured.stream().allMatch(Check::passed);
    return new Promotion(
        passed,
        (passed ? "promoted: " : "kept as a candidate: ") + figures(stableVersion, measured),
        stableVersion,
        checks,
        null);
  }

  /** The figures of the measured checks, one after the other. */
  private static String figures(long stableVersion, List<Check> checks) {
    List<String> figures = new ArrayList<>();
    for (Check check : checks) {
      if (check.measured()) {
        figures.add(check.figures(stableVersion));
      }
    }
    return String.join("; ", figures);
  }

  /** Refused before anything was compared. */
  public static Promotion refused(long stableVersion, String reason) {
    return new Promotion(false, reason, stableVersion, List.of(), null);
  }

  /** This passed accuracy check, the candidate of {@code model} now on a trial instead. */
  public Promotion inTrial(String model, RolloutPolicy started) {
    return new Promotion(
        false,
        "passed the accuracy check ("
            + figures(stableVersion, checks)
            + "); now in a "
            + started.mode().apiName()
            + " trial of "
            + started.trialSeconds()
            + " s that decides (GET /v1/models/"
            + model
            + "/rollout)",
        stableVersion,
        checks,
        started);
  }

  /** The decision as plain maps, for JSON; undefined accuracies are null. */
  public Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("promoted", promoted);
    map.put("reason", reason);
    if (stableVersion > 0) {
      map.put("stable_version", Long.toString(stableVersion));
    }
    Check first =
        checks.isEmpty() ? new Check("validation", Double.NaN, Double.NaN, 0) : checks.get(0);
    map.put("candidate_accuracy", Double.isNaN(first.candidate()) ? null : first.candidate());
    map.put("stable_accuracy", Double.isNaN(first.stable()) ? null : first.stable());
    map.put("held_out_examples", first.examples());
    map.put("checks", checks.stream().map(Check::toMap).toList());
    if (trial != null) {
      map.put(
          "trial", Map.of("mode", trial.mode().apiName(), "trial_seconds", trial.trialSeconds()));
    }
    return map;
  }
}
