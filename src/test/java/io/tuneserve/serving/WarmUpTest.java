package io.tuneserve.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.tuneserve.batching.Clock;
import io.tuneserve.model.DType;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.repository.ModelSettings;
import io.tuneserve.testing.FunctionModel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntToLongFunction;
import org.junit.jupiter.api.Test;

/** Which batch sizes a new version is warmed and timed with, and the batch cap it arrives at. */
class WarmUpTest {
  private final List<List<Long>> runShapes = new CopyOnWriteArrayList<>();
  private final AtomicLong now = new AtomicLong();
  private final Clock clock = now::get;

  /** A model whose run of {@code rows} rows advances the clock by {@code nanosForRows}. */
  private FunctionModel model(long[] inputShape, IntToLongFunction nanosForRows) {
    SignatureSpec signature =
        new SignatureSpec(
            "serving_default",
            "tensorflow/serving/predict",
            Map.of("x", TensorSpec.of("x", "x:0", DType.FP32, inputShape)),
            Map.of("y", TensorSpec.of("y", "y:0", DType.FP32, new long[] {-1})));
    return new FunctionModel(
        signature,
        inputs -> {
          TensorData x = inputs.get("x");
          runShapes.add(Arrays.stream(x.shape()).boxed().toList());
          now.addAndGet(nanosForRows.applyAsLong((int) x.dim(0)));
          return Map.of("y", x);
        });
  }

  private WarmUp.Outcome warm(
      long[] shape, IntToLongFunction nanosForRows, int largest, boolean time, Duration allowed) {
    return WarmUp.run(
        model(shape, nanosForRows), ModelSettings.DEFAULT, largest, time, allowed, clock);
  }

  /** Per-run overhead plus a cost per row: larger batches are cheaper per image. */
  private static long batchesPay(int rows) {
    return 1_000_000L + 100_000L * rows;
  }

  /** Slower per image beyond 4 rows, as a network whose activations outgrow the caches. */
  private static long batchesBeyondFourCost(int rows) {
    return rows <= 4 ? 1_000_000L * rows : 1_500_000L * rows;
  }

  @Test
  void aBatchedVersionRunsEveryBatchSizeUpToTheLargestWithZeros() {
    WarmUp.Outcome outcome =
        warm(new long[] {-1, 3}, WarmUpTest::batchesPay, 5, false, Duration.ofSeconds(5));

    assertThat(outcome.sizes()).containsExactly(1, 2, 3, 4, 5);
    assertThat(outcome.batchCap()).isEqualTo(5);
    assertThat(runShapes)
        .containsExactly(
            List.of(1L, 3L), List.of(2L, 3L), List.of(3L, 3L), List.of(4L, 3L), List.of(5L, 3L));
  }

  @Test
  void batchesThatGetCheaperPerImageAreTimedUpToTheLargestAndNotCapped() {
    WarmUp.Outcome outcome =
        warm(new long[] {-1, 3}, WarmUpTest::batchesPay, 48, true, Duration.ofSeconds(5));

    assertThat(outcome.msPerImage()).containsOnlyKeys(1, 2, 4, 8, 16, 32, 48);
    assertThat(outcome.msPerImage().get(1)).isEqualTo(1.1);
    assertThat(outcome.batchCap()).isEqualTo(48);
    assertThat(outcome.sizes()).hasSize(48);
  }

  @Test
  void batchesThatGetSlowerPerImageAreCappedAtTheLastSizeAsFastAsTheFastest() {
    WarmUp.Outcome outcome =
        warm(
            new long[] {-1, 3},
            WarmUpTest::batchesBeyondFourCost,
            64,
            true,
            Duration.ofSeconds(60));

    // Every size is timed; all beyond 4 are slower than the fastest.
    assertThat(outcome.msPerImage()).containsOnlyKeys(1, 2, 4, 8, 16, 32, 64);
    assertThat(outcome.batchCap()).isEqualTo(4);
    assertThat(outcome.sizes()).containsExactly(1, 2, 4, 8, 16, 32, 64, 3);
  }

  @Test
  void aStallWhileTheLargestSizeIsTimedDoesNotCapItsBatches() {
    AtomicLong runsOf64 = new AtomicLong();
    IntToLongFunction stalledOnce =
        rows -> {
          long nanos = batchesPay(rows);
          // The preparing run and the three timed runs of the first timing of 64 are slowed down.
          return rows == 64 && runsOf64.incrementAndGet() <= 4 ? 3 * nanos : nanos;
        };
    WarmUp.Outcome outcome =
        warm(new long[] {-1, 3}, stalledOnce, 64, true, Duration.ofSeconds(60));

    assertThat(runsOf64.get()).as("64 is timed a second time").isEqualTo(7);
    assertThat(outcome.batchCap()).isEqualTo(64);
  }

  @Test
  void withoutTimingBatchesAreNotCapped() {
    assertThat(
            warm(
                    new long[] {-1, 3},
                    WarmUpTest::batchesBeyondFourCost,
                    8,
                    false,
                    Duration.ofSeconds(60))
                .batchCap())
        .isEqualTo(8);
  }

  @Test
  void theWarmUpStopsWhenItsTimeIsUpButAlwaysRunsABatchOfOne() {
    assertThat(
            warm(new long[] {-1, 3}, rows -> 400_000_000L, 64, false, Duration.ofSeconds(1))
                .sizes())
        .containsExactly(1, 2, 3);
    assertThat(warm(new long[] {-1, 3}, rows -> 1_000L, 64, true, Duration.ZERO).sizes())
        .containsExactly(1);
  }

  @Test
  void aTimingCutShortByTheDeadlineDoesNotCap() {
    // Timing 1 takes 6 ms of the 10 allowed; the 4 runs of 2 rows would not fit in the rest.
    // Nothing says larger batches are slower.
    WarmUp.Outcome outcome =
        warm(new long[] {-1, 3}, rows -> 1_000_000L * rows, 64, true, Duration.ofMillis(10));
    assertThat(outcome.msPerImage()).containsOnlyKeys(1);
    assertThat(outcome.batchCap()).isEqualTo(64);
  }

  @Test
  void anInputWithoutABatchDimensionIsRunOnceWithItsOwnShape() {
    assertThat(warm(new long[] {3, 1}, rows -> 1_000L, 64, true, Duration.ofSeconds(5)).sizes())
        .containsExactly(1);
    assertThat(runShapes).containsExactly(List.of(3L, 1L));
  }

  @Test
  void anInputOfUnknownDimensionsIsNotWarmed() {
    assertThat(warm(new long[] {-1, -1}, rows -> 1_000L, 64, true, Duration.ofSeconds(5)).sizes())
        .isEmpty();
    assertThat(runShapes).isEmpty();
  }
}
