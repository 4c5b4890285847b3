package io.tuneserve.training;

import java.util.Locale;

/**
 * What {@link Strategy#AUTO} chose and the measurements behind it, after the CS231n table: dataset
 * size (examples per class) against similarity to the original data, measured by linear probes on
 * the top-layer and an earlier layer's features.
 *
 * @param examplesPerClass examples of the smallest class
 * @param large whether that is at least {@link #LARGE_PER_CLASS}
 * @param topProbeAccuracy held-out accuracy of a quick linear classifier on the top-layer codes
 * @param earlierProbeAccuracy the same on the earlier layer's features; NaN when there is none
 * @param similar whether the top-layer features serve at least as well as the earlier ones
 * @param fineTuneTrialAccuracy held-out accuracy of a short fine-tuning run (small datasets only,
 *     where it is cheap and where the table's fear of overfitting is worth checking); NaN otherwise
 */
public record StrategyDecision(
    Strategy chosen,
    int frozenBlocks,
    int examplesPerClass,
    boolean large,
    double topProbeAccuracy,
    double earlierProbeAccuracy,
    boolean similar,
    double fineTuneTrialAccuracy,
    String reason) {

  public static final int LARGE_PER_CLASS = 100;
  static final double SIMILARITY_MARGIN = 0.01;

  /** Decides from the measurements. */
  public static StrategyDecision decide(
      int examplesPerClass, double topProbe, double earlierProbe, double fineTuneTrial) {
    boolean large = examplesPerClass >= LARGE_PER_CLASS;
    boolean measured = !Double.isNaN(earlierProbe);
    boolean similar = !measured || topProbe >= earlierProbe - SIMILARITY_MARGIN;
    String size =
        examplesPerClass
            + " examples per class is "
            + (large ? "large" : "small")
            + " (large from "
            + LARGE_PER_CLASS
            + ")";
    String likeness =
        measured
            ? String.format(
                Locale.ROOT,
                "top-layer probe %.3f vs earlier-layer probe %.3f: %s",
                topProbe,
                earlierProbe,
                similar ? "similar to the original data" : "unlike the original data")
            : "no earlier layer to compare with";
    if (large) {
      return new StrategyDecision(
          Strategy.FINE_TUNE,
          0,
          examplesPerClass,
          true,
          topProbe,
          earlierProbe,
          similar,
          fineTuneTrial,
          size + "; " + likeness + ": enough data to fine-tune the whole network");
    }
    Strategy linear = similar ? Strategy.FEATURE_EXTRACTOR : Strategy.EARLIER_LAYER_FEATURES;
    double linearAccuracy = similar ? topProbe : earlierProbe;
    if (!Double.isNaN(fineTuneTrial) && fineTuneTrial >= linearAccuracy) {
      return new StrategyDecision(
          Strategy.FINE_TUNE,
          1,
          examplesPerClass,
          false,
          topProbe,
          earlierProbe,
          similar,
          fineTuneTrial,
          size
              + "; "
              + likeness
              + String.format(
                  Locale.ROOT,
                  "; a short fine-tuning run held out %.3f against %.3f for the linear classifier, so"
                      + " fine-tuning with the first block frozen does not overfit here",
                  fineTuneTrial,
                  linearAccuracy));
    }
    return new StrategyDecision(
        linear,
        0,
        examplesPerClass,
        false,
        topProbe,
        earlierProbe,
        similar,
        fineTuneTrial,
        size
            + "; "
            + likeness
            + ": a linear classifier on the "
            + (similar ? "top-layer CNN codes" : "earlier layer's features")
            + (Double.isNaN(fineTuneTrial)
                ? ""
                : String.format(
                    Locale.ROOT, " (a short fine-tuning run held out only %.3f)", fineTuneTrial)));
  }
}
