package io.tuneserve.training;

import io.tuneserve.model.ServingException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A job's examples: the set it trains on and, when the job names them, a set to validate each epoch
 * on (instead of holding out part of the training set) and a set to test the result on once. All
 * three share the training set's classes and image shape.
 *
 * @param validation null when part of the training set is held out instead
 * @param test null when the job names none
 */
public record JobData(LabelledExamples training, LabelledExamples validation, LabelledExamples test)
    implements AutoCloseable {

  public JobData {
    Objects.requireNonNull(training, "training");
    check(training, validation, "the validation set");
    check(training, test, "the test set");
  }

  /** Training examples alone. */
  public static JobData of(LabelledExamples training) {
    return new JobData(training, null, null);
  }

  private static void check(LabelledExamples training, LabelledExamples other, String what) {
    if (other == null) {
      return;
    }
    if (!other.classNames().equals(training.classNames())) {
      throw new IllegalArgumentException(what + " must be labelled with the training classes");
    }
    long[] rows = training.images().rowShape();
    long[] theirs = other.images().rowShape();
    if (!Arrays.equals(rows, theirs)) {
      throw ServingException.invalid(
          what
              + " has images of shape "
              + Arrays.toString(theirs)
              + " but the training images are "
              + Arrays.toString(rows));
    }
  }

  /**
   * Where the validation and test sets come from, for a version's lineage: {@code validation_data}
   * and {@code test_data}, each with its example count, content sha256 and origin.
   */
  public Map<String, Object> heldOutOrigins() {
    Map<String, Object> origins = new LinkedHashMap<>();
    describe(origins, "validation_data", validation);
    describe(origins, "test_data", test);
    return origins;
  }

  private static void describe(Map<String, Object> into, String key, LabelledExamples set) {
    if (set == null) {
      return;
    }
    Map<String, Object> description = new LinkedHashMap<>();
    description.put("examples", set.count());
    description.put("data_sha256", JobManager.fingerprint(set));
    description.putAll(set.images().origin());
    into.put(key, description);
  }

  /** Lets go of what reading the sets holds open. */
  @Override
  public void close() {
    training.images().close();
    if (validation != null) {
      validation.images().close();
    }
    if (test != null) {
      test.images().close();
    }
  }
}
