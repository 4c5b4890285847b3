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
import org.junit.jupiter.api.Test;

/** Which batch sizes a new version is warmed with, and within what time. */
class WarmUpTest {
  private final List<List<Long>> runShapes = new CopyOnWriteArrayList<>();
  private final AtomicLong now = new AtomicLong();
  private final Clock clock = now::get;

  private FunctionModel model(long[] inputShape, Duration eachRunTakes) {
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
          now.addAndGet(eachRunTakes.toNanos());
          return Map.of("y", x);
        });
  }

  @Test
  void aBatchedVersionRunsEveryBatchSizeUpToTheLargestWithZeros() {
    List<Integer> sizes =
        WarmUp.run(
            model(new long[] {-1, 3}, Duration.ofMillis(1)),
            ModelSettings.DEFAULT,
            5,
            Duration.ofSeconds(5),
            clock);

    assertThat(sizes).containsExactly(1, 2, 3, 4, 5);
    assertThat(runShapes)
        .containsExactly(
            List.of(1L, 3L), List.of(2L, 3L), List.of(3L, 3L), List.of(4L, 3L), List.of(5L, 3L));
  }

  @Test
  void theWarmUpStopsWhenItsTimeIsUpButAlwaysRunsABatchOfOne() {
    assertThat(
            WarmUp.run(
                model(new long[] {-1, 3}, Duration.ofMillis(400)),
                ModelSettings.DEFAULT,
                64,
                Duration.ofSeconds(1),
                clock))
        .containsExactly(1, 2, 3);
    assertThat(
            WarmUp.run(
                model(new long[] {-1, 3}, Duration.ofMillis(1)),
                ModelSettings.DEFAULT,
                64,
                Duration.ZERO,
                clock))
        .containsExactly(1);
  }

  @Test
  void anInputWithoutABatchDimensionIsRunOnceWithItsOwnShape() {
    assertThat(
            WarmUp.run(
                model(new long[] {3, 1}, Duration.ofMillis(1)),
                ModelSettings.DEFAULT,
                64,
                Duration.ofSeconds(5),
                clock))
        .containsExactly(1);
    assertThat(runShapes).containsExactly(List.of(3L, 1L));
  }

  @Test
  void anInputOfUnknownDimensionsIsNotWarmed() {
    assertThat(
            WarmUp.run(
                model(new long[] {-1, -1}, Duration.ofMillis(1)),
                ModelSettings.DEFAULT,
                64,
                Duration.ofSeconds(5),
                clock))
        .isEmpty();
    assertThat(runShapes).isEmpty();
  }
}
