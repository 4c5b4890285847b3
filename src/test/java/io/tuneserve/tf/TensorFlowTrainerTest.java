package io.tuneserve.tf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tuneserve.data.FashionMnist;
import io.tuneserve.data.LabelledImages;
import io.tuneserve.model.FeatureLayers;
import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.TensorData;
import io.tuneserve.testing.TestData;
import io.tuneserve.training.ClassifierLoss;
import io.tuneserve.training.EpochMetrics;
import io.tuneserve.training.Hyperparameters;
import io.tuneserve.training.LabelledExamples;
import io.tuneserve.training.Phase;
import io.tuneserve.training.Strategy;
import io.tuneserve.training.StrategyDecision;
import io.tuneserve.training.TrainingCancelledException;
import io.tuneserve.training.TrainingProgress;
import io.tuneserve.training.TrainingRequest;
import io.tuneserve.training.TrainingResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adapts the demo model to classes it was never trained on (footwear, tops, other: groupings of
 * Fashion-MNIST classes) with each strategy, and serves the result.
 */
class TensorFlowTrainerTest {
  private static final int[] GROUP = {1, 2, 1, 2, 1, 0, 1, 0, 2, 0};
  private static final List<String> CLASSES = List.of("footwear", "top", "other");
  private static LabelledImages images;

  @BeforeAll
  static void load() throws Exception {
    images = new FashionMnist(FashionMnist.DEFAULT_DIRECTORY).test();
  }

  static LabelledExamples examples(int from, int count) {
    float[] pixels = new float[count * images.imageSize()];
    images.copyPixels(from, count, pixels);
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      labels[i] = GROUP[images.labels()[from + i]];
    }
    return new LabelledExamples(
        TensorData.ofFloats(new long[] {count, 28, 28, 1}, pixels), labels, CLASSES);
  }

  private static final class Recorder implements TrainingProgress {
    final List<Phase> phases = new ArrayList<>();
    final List<EpochMetrics> epochs = new ArrayList<>();
    volatile boolean cancel;

    @Override
    public void phase(Phase phase) {
      phases.add(phase);
    }

    @Override
    public void epoch(EpochMetrics metrics, double fractionDone) {
      epochs.add(metrics);
    }

    @Override
    public boolean cancelled() {
      return cancel;
    }
  }

  @Test
  void trainsANewHeadThatServes(@TempDir Path dir) throws Exception {
    Recorder progress = new Recorder();
    Path output = dir.resolve("1");
    TrainingResult result =
        train(
            Strategy.FEATURE_EXTRACTOR,
            examples(0, 300),
            new Hyperparameters(20, 32, 0.05, 0.005, 1, 0, 1e-4, 0.2, 5, 3, ClassifierLoss.SOFTMAX),
            output,
            progress);
    assertThat(progress.phases)
        .containsExactly(Phase.PREPARING, Phase.TRAINING, Phase.EVALUATING, Phase.PUBLISHING);
    assertThat(progress.epochs).isNotEmpty();
    assertThat(result.validationAccuracy()).isGreaterThan(0.8);

    try (LoadedModel model = new TfModelLoader(TfRuntimeOptions.defaults()).load(output)) {
      assertThat(model.signatures()).containsOnlyKeys("serving_default", "features");
      LabelledExamples heldOut = examples(5000, 500);
      TensorData probabilities =
          model
              .run(
                  "serving_default",
                  Map.of("images", heldOut.images().range(0, heldOut.count())),
                  Set.of("probabilities"))
              .get("probabilities");
      assertThat(probabilities.shape()).containsExactly(500, 3);
      int correct = 0;
      for (int i = 0; i < 500; i++) {
        int best = 0;
        for (int c = 1; c < 3; c++) {
          if (probabilities.doubleAt(i * 3 + c) > probabilities.doubleAt(i * 3 + best)) {
            best = c;
          }
        }
        if (best == heldOut.labels()[i]) {
          correct++;
        }
      }
      assertThat(correct / 500.0).as("accuracy on unseen images").isGreaterThan(0.8);
    }
  }

  @Test
  void fineTunesTheLaterBlocksAndLeavesTheFrozenOnesUnchanged(@TempDir Path dir) throws Exception {
    Recorder progress = new Recorder();
    Path output = dir.resolve("1");
    TrainingResult result =
        train(
            Strategy.FINE_TUNE,
            examples(0, 300),
            new Hyperparameters(4, 32, 0.05, 0.005, 1, 1, 1e-4, 0.2, 5, 3, ClassifierLoss.SOFTMAX),
            output,
            progress);
    assertThat(result.validationAccuracy()).isGreaterThan(0.8);
    assertThat(progress.epochs.get(0).learningRate()).isEqualTo(0.05);

    LabelledExamples heldOut = examples(6000, 64);
    Map<String, TensorData> inputs = Map.of("images", heldOut.images().range(0, heldOut.count()));
    Set<String> outputs = Set.of("block1", "block2", "features");
    try (LoadedModel base =
            new TfModelLoader(TfRuntimeOptions.defaults()).load(TestData.fashionConvnet());
        LoadedModel tuned = new TfModelLoader(TfRuntimeOptions.defaults()).load(output)) {
      Map<String, TensorData> before = base.run("features", inputs, outputs);
      Map<String, TensorData> after = tuned.run("features", inputs, outputs);
      assertThat(maxDifference(before.get("block1"), after.get("block1")))
          .as("block1 is frozen")
          .isLessThan(1e-6);
      assertThat(maxDifference(before.get("block2"), after.get("block2")))
          .as("block2 was fine-tuned")
          .isGreaterThan(1e-4);
      assertThat(
              tuned
                  .run("serving_default", inputs, Set.of("probabilities"))
                  .get("probabilities")
                  .shape())
          .containsExactly(64, 3);
    }
  }

  @Test
  void trainsALinearSvmOnTheCodes(@TempDir Path dir) {
    TrainingResult result =
        train(
            Strategy.FEATURE_EXTRACTOR,
            examples(1000, 300),
            new Hyperparameters(15, 32, 0.01, 0.005, 1, 0, 1e-3, 0.2, 5, 3, ClassifierLoss.SVM),
            dir.resolve("1"),
            new Recorder());
    assertThat(result.validationAccuracy()).isGreaterThan(0.8);
  }

  @Test
  void autoMeasuresAndChooses(@TempDir Path dir) {
    Recorder progress = new Recorder();
    List<StrategyDecision> decisions = new ArrayList<>();
    TrainingProgress recording =
        new TrainingProgress() {
          @Override
          public void phase(Phase phase) {
            progress.phase(phase);
          }

          @Override
          public void decided(StrategyDecision decision) {
            decisions.add(decision);
          }

          @Override
          public void epoch(EpochMetrics metrics, double fractionDone) {
            progress.epoch(metrics, fractionDone);
          }

          @Override
          public boolean cancelled() {
            return false;
          }
        };
    TrainingResult result =
        train(
            Strategy.AUTO,
            examples(2000, 60),
            Hyperparameters.DEFAULTS,
            dir.resolve("1"),
            recording);
    assertThat(decisions).hasSize(1);
    StrategyDecision decision = decisions.get(0);
    assertThat(decision.large()).as("60 examples over 3 classes is small").isFalse();
    assertThat(decision.topProbeAccuracy()).isBetween(0.0, 1.0);
    assertThat(decision.earlierProbeAccuracy()).isBetween(0.0, 1.0);
    assertThat(decision.fineTuneTrialAccuracy()).isBetween(0.0, 1.0);
    assertThat(decision.reason()).contains("small", "probe");
    assertThat(result.epochsRun()).isPositive();
  }

  @Test
  void decisionsFollowTheTransferTable() {
    assertThat(StrategyDecision.decide(20, 0.9, 0.7, 0.85).chosen())
        .isEqualTo(Strategy.FEATURE_EXTRACTOR);
    assertThat(StrategyDecision.decide(20, 0.6, 0.8, 0.75).chosen())
        .isEqualTo(Strategy.EARLIER_LAYER_FEATURES);
    assertThat(StrategyDecision.decide(20, 0.795, 0.8, 0.7).similar())
        .as("within a point")
        .isTrue();
    StrategyDecision overfitFree = StrategyDecision.decide(20, 0.8, 0.7, 0.9);
    assertThat(overfitFree.chosen()).isEqualTo(Strategy.FINE_TUNE);
    assertThat(overfitFree.frozenBlocks()).isEqualTo(1);
    assertThat(StrategyDecision.decide(500, 0.9, 0.7, Double.NaN).chosen())
        .isEqualTo(Strategy.FINE_TUNE);
    assertThat(StrategyDecision.decide(500, 0.6, 0.8, Double.NaN).frozenBlocks()).isZero();
    assertThat(StrategyDecision.decide(20, 0.9, Double.NaN, Double.NaN).chosen())
        .isEqualTo(Strategy.FEATURE_EXTRACTOR);
  }

  @Test
  void refusesToFreezeEveryBlock(@TempDir Path dir) {
    assertThatThrownBy(
            () ->
                train(
                    Strategy.FINE_TUNE,
                    examples(0, 10),
                    new Hyperparameters(
                        1, 32, 0.05, 0.005, 3, 0, 1e-4, 0.2, 5, 3, ClassifierLoss.SOFTMAX),
                    dir.resolve("1"),
                    new Recorder()))
        .hasMessageContaining(
            "frozen_blocks 3 leaves nothing to fine-tune; the base model's blocks are [block1, block2, fc]");
  }

  private static TrainingResult train(
      Strategy strategy,
      LabelledExamples examples,
      Hyperparameters hyperparameters,
      Path output,
      TrainingProgress progress) {
    return new TensorFlowTrainer()
        .train(
            new TrainingRequest(
                TestData.fashionConvnet(),
                new FeatureLayers("features", null, null),
                "features",
                "block2",
                strategy,
                examples,
                hyperparameters,
                output,
                null),
            progress);
  }

  private static double maxDifference(TensorData a, TensorData b) {
    double max = 0;
    for (int i = 0; i < a.elementCount(); i++) {
      max = Math.max(max, Math.abs(a.doubleAt(i) - b.doubleAt(i)));
    }
    return max;
  }

  @Test
  void stopsWhenCancelledAndWritesNothing(@TempDir Path dir) {
    Recorder progress = new Recorder();
    progress.cancel = true;
    Path output = dir.resolve("1");
    assertThatThrownBy(
            () ->
                train(
                    Strategy.FEATURE_EXTRACTOR,
                    examples(0, 100),
                    Hyperparameters.DEFAULTS,
                    output,
                    progress))
        .isInstanceOf(TrainingCancelledException.class);
    assertThat(Files.exists(output)).isFalse();
  }

  @Test
  void refusesABaseWithoutTheFeatureSignature(@TempDir Path dir) {
    assertThatThrownBy(
            () ->
                new TensorFlowTrainer()
                    .train(
                        new TrainingRequest(
                            TestData.fashionConvnet(),
                            new FeatureLayers("nope", null, null),
                            "features",
                            null,
                            Strategy.FEATURE_EXTRACTOR,
                            examples(0, 10),
                            Hyperparameters.DEFAULTS,
                            dir.resolve("1"),
                            null),
                        new Recorder()))
        .hasMessageContaining("no signature 'nope'");
  }
}
