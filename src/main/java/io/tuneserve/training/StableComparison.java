package io.tuneserve.training;

import io.tuneserve.model.ErrorKind;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.repository.ModelSettings;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ServedVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/**
 * The promotion gate's measurement: the version a model's unlabelled requests get now, run on a
 * candidate's held-out examples through its own serving path, against the candidate's accuracy on
 * the same examples.
 */
final class StableComparison {
  private static final int BATCH = 64;

  private StableComparison() {}

  /** A held-out set and the candidate's accuracy on it; null examples when there were none. */
  record HeldOut(String set, double candidate, LabelledExamples examples) {}

  /** Judges a candidate of {@code model} on every held-out set. */
  static Promotion judge(ModelManager models, String model, List<HeldOut> sets)
      throws InterruptedException {
    ServedVersion stable;
    try {
      stable = models.acquire(model, OptionalLong.empty());
    } catch (ServingException e) {
      if (e.kind() == ErrorKind.NOT_FOUND) {
        return Promotion.decide(0, unmeasured(sets));
      }
      return Promotion.refused(0, "the stable version cannot be judged: " + e.getMessage());
    }
    try {
      List<Promotion.Check> checks = new ArrayList<>();
      for (HeldOut set : sets) {
        checks.add(
            set.examples() == null
                ? new Promotion.Check(set.set(), set.candidate(), Double.NaN, 0)
                : new Promotion.Check(
                    set.set(),
                    set.candidate(),
                    accuracy(stable, set.examples()),
                    set.examples().count()));
      }
      return Promotion.decide(stable.version(), checks);
    } catch (ServingException e) {
      return Promotion.refused(
          stable.version(),
          "stable version " + stable.version() + " cannot be judged: " + e.getMessage());
    } finally {
      stable.release();
    }
  }

  private static List<Promotion.Check> unmeasured(List<HeldOut> sets) {
    return sets.stream()
        .map(
            set ->
                new Promotion.Check(
                    set.set(),
                    set.candidate(),
                    Double.NaN,
                    set.examples() == null ? 0 : set.examples().count()))
        .toList();
  }

  private static double accuracy(ServedVersion stable, LabelledExamples heldOut)
      throws InterruptedException {
    ModelSettings.ImageInput image = stable.settings().image();
    if (image == null) {
      throw ServingException.invalid("it declares no image input");
    }
    SignatureSpec signature = stable.signature(image.signature());
    String output = image.scoresOutput(signature);
    List<String> stableClasses = stable.settings().labels();
    int correct = 0;
    for (int from = 0; from < heldOut.count(); from += BATCH) {
      int n = Math.min(BATCH, heldOut.count() - from);
      TensorData rows = heldOut.images().range(from, n);
      Map<String, TensorData> scores;
      try {
        scores = stable.run(signature, Map.of(image.input(), rows), Set.of(output)).get();
      } catch (ExecutionException e) {
        throw e.getCause() instanceof ServingException serving
            ? serving
            : ServingException.invalid(String.valueOf(e.getCause().getMessage()));
      }
      int[] predicted = scores.get(output).argmaxRows();
      for (int i = 0; i < n; i++) {
        String truth = heldOut.classNames().get(heldOut.labels()[from + i]);
        int guess = predicted[i];
        String answer =
            guess < stableClasses.size() ? stableClasses.get(guess) : Integer.toString(guess);
        if (answer.equals(truth)) {
          correct++;
        }
      }
    }
    return correct / (double) heldOut.count();
  }
}
