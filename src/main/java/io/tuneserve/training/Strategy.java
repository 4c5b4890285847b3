package io.tuneserve.training;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** How a job adapts a pretrained model to new classes (see ../shared/TRANSFER.md). */
public enum Strategy {
  /** The pretrained network frozen; a new linear softmax classifier trained on its CNN codes. */
  FEATURE_EXTRACTOR,
  /**
   * As {@link #FEATURE_EXTRACTOR}, on the activations of an earlier block: for targets very
   * different from the original data, whose top-layer features are too specific to it.
   */
  EARLIER_LAYER_FEATURES,
  /**
   * A new classifier, and backpropagation into the pretrained network too: the first blocks stay
   * frozen, the others learn with a smaller learning rate than the new classifier.
   */
  FINE_TUNE,
  /**
   * Chooses among the others from the dataset's size and its measured similarity to the original
   * data (see {@link StrategyDecision}).
   */
  AUTO;

  /** The name used in the API, e.g. {@code feature_extractor}. */
  public String apiName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Strategy> fromApiName(String name) {
    return Arrays.stream(values()).filter(s -> s.apiName().equals(name)).findFirst();
  }
}
