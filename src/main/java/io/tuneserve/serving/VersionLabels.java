package io.tuneserve.serving;

import io.tuneserve.model.ServingException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Names for model versions ({@code stable}, {@code canary}), the same on every node: a request may
 * name a label instead of a version, and a model with a {@link #STABLE} label answers requests that
 * name neither with that version.
 */
public interface VersionLabels {
  /** The label whose version requests get when they name no version. */
  String STABLE = "stable";

  /** The label a job's new version gets unless the job asks for another. */
  String CANDIDATE = "candidate";

  Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");

  /**
   * A model's labels and their versions, in label order; empty when it has none. Fast: read from
   * this node.
   */
  Map<String, Long> of(String model);

  /** Points a label at a version, everywhere. */
  void set(String model, String label, long version);

  /** Removes a label; false when the model had no such label. */
  boolean remove(String model, String label);

  /** Labels that never change: none. */
  static VersionLabels none() {
    return new VersionLabels() {
      @Override
      public Map<String, Long> of(String model) {
        return Map.of();
      }

      @Override
      public void set(String model, String label, long version) {
        throw new UnsupportedOperationException("no label store");
      }

      @Override
      public boolean remove(String model, String label) {
        return false;
      }
    };
  }

  /** Checks a label's name: 400 naming it when it is not letters, digits, '_' and '-'. */
  static void checkName(String label) {
    if (label == null || !NAME.matcher(label).matches()) {
      throw ServingException.invalid(
          "Malformed request: version label '"
              + label
              + "' may hold only letters, digits, '_' and '-' (at most 63)");
    }
  }
}
