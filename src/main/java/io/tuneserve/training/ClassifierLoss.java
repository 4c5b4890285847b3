package io.tuneserve.training;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** The loss the new linear classifier is trained with. */
public enum ClassifierLoss {
  /** Softmax cross-entropy: calibrated class probabilities. */
  SOFTMAX,
  /** Multiclass hinge loss (a linear SVM): margins of 1 between the right class and the others. */
  SVM;

  public String apiName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<ClassifierLoss> fromApiName(String name) {
    return Arrays.stream(values()).filter(l -> l.apiName().equals(name)).findFirst();
  }
}
