package io.tuneserve.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tuneserve.batching.BatchScheduler;
import io.tuneserve.batching.BatchingOptions;
import io.tuneserve.batching.Clock;
import io.tuneserve.metrics.ServingMetrics;
import io.tuneserve.model.DType;
import io.tuneserve.model.ErrorKind;
import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.RequestScope;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.testing.FunctionModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Batch formation and splitting, with a stand-in model that echoes its input. */
class VersionRunnerTest {
  private static final SignatureSpec ECHO =
      new SignatureSpec(
          "serving_default",
          "tensorflow/serving/predict",
          Map.of("x", TensorSpec.of("x", "x:0", DType.FP32, new long[] {-1, -1})),
          Map.of("y", TensorSpec.of("y", "y:0", DType.FP32, new long[] {-1, -1})));

  private final BatchScheduler scheduler = new BatchScheduler("test", 1, Clock.SYSTEM);
  private final ExecutorService direct = Executors.newSingleThreadExecutor();
  private final List<long[]> runShapes = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    scheduler.close();
    direct.shutdown();
  }

  /** Echoes x as y, or drops a row when told to misbehave. */
  private LoadedModel echo(boolean dropRow) {
    return new FunctionModel(
        ECHO,
        inputs -> {
          TensorData x = inputs.get("x");
          runShapes.add(x.shape());
          return Map.of("y", dropRow ? x.rows(0, x.dim(0) - 1) : x);
        });
  }

  private VersionRunner runner(LoadedModel model, Duration delay) {
    return new VersionRunner(
        "echo",
        model,
        new RunnerOptions(true, new BatchingOptions(64, delay, 100), Duration.ZERO, false),
        scheduler,
        direct,
        new ServingMetrics(new SimpleMeterRegistry()),
        Clock.SYSTEM);
  }

  private static TensorData rows(float first, int rows, int width) {
    float[] values = new float[rows * width];
    for (int i = 0; i < values.length; i++) {
      values[i] = first + i;
    }
    return TensorData.ofFloats(new long[] {rows, width}, values);
  }

  @Test
  void batchesRequestsOfOneShapeAndSplitsTheResult() throws Exception {
    VersionRunner runner = runner(echo(false), Duration.ofMillis(200));
    List<CompletableFuture<Map<String, TensorData>>> replies = new ArrayList<>();
    for (int r = 0; r < 5; r++) {
      replies.add(
          runner.run(
              ECHO, Map.of("x", rows(100 * r, r + 1, 2)), Set.of("y"), RequestScope.unbounded()));
    }
    for (int r = 0; r < 5; r++) {
      TensorData y = replies.get(r).get(10, TimeUnit.SECONDS).get("y");
      assertThat(y.shape()).containsExactly(r + 1, 2);
      assertThat(y.doubleAt(0)).isEqualTo(100.0 * r);
      assertThat(y.doubleAt(y.elementCount() > 1 ? 1 : 0)).isEqualTo(100.0 * r + 1);
    }
    assertThat(runShapes).hasSize(1);
    assertThat(runShapes.get(0)).containsExactly(15, 2);
  }

  @Test
  void requestsWhoseScopeEndedWhileQueuedAreDroppedFromTheBatch() throws Exception {
    VersionRunner runner = runner(echo(false), Duration.ofMillis(200));
    RequestScope gone = RequestScope.unbounded();
    var abandoned = runner.run(ECHO, Map.of("x", rows(0, 2, 2)), Set.of("y"), gone);
    var kept = runner.run(ECHO, Map.of("x", rows(10, 1, 2)), Set.of("y"), RequestScope.unbounded());
    gone.clientGone();
    assertThat(kept.get(10, TimeUnit.SECONDS).get("y").doubleAt(0)).isEqualTo(10.0);
    assertThat(abandoned)
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableThat()
        .withMessageContaining("client went away");
    assertThat(runShapes).hasSize(1);
    assertThat(runShapes.get(0)).as("only the kept request ran").containsExactly(1, 2);
  }

  @Test
  void requestsOfDifferentShapesNeverShareABatch() throws Exception {
    VersionRunner runner = runner(echo(false), Duration.ofMillis(50));
    var narrow =
        runner.run(ECHO, Map.of("x", rows(0, 2, 2)), Set.of("y"), RequestScope.unbounded());
    var wide = runner.run(ECHO, Map.of("x", rows(0, 3, 5)), Set.of("y"), RequestScope.unbounded());
    assertThat(narrow.get(10, TimeUnit.SECONDS).get("y").shape()).containsExactly(2, 2);
    assertThat(wide.get(10, TimeUnit.SECONDS).get("y").shape()).containsExactly(3, 5);
    assertThat(runShapes).hasSize(2);
  }

  @Test
  void manyShapesStillGetAnswersBeyondTheQueueLimit() throws Exception {
    VersionRunner runner = runner(echo(false), Duration.ZERO);
    for (int width = 1; width <= VersionRunner.MAX_QUEUES + 8; width++) {
      TensorData y =
          runner
              .run(ECHO, Map.of("x", rows(0, 1, width)), Set.of("y"), RequestScope.unbounded())
              .get(10, TimeUnit.SECONDS)
              .get("y");
      assertThat(y.shape()).containsExactly(1, width);
    }
  }

  @Test
  void anOutputThatLosesRowsFailsTheWholeBatch() {
    VersionRunner runner = runner(echo(true), Duration.ZERO);
    var reply = runner.run(ECHO, Map.of("x", rows(0, 2, 2)), Set.of("y"), RequestScope.unbounded());
    assertThatThrownBy(() -> reply.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(ServingException.class)
        .matches(e -> ((ServingException) e).kind() == ErrorKind.INTERNAL)
        .hasMessageContaining("does not follow the batch of 2 rows");
  }

  @Test
  void closingFailsWaitingRequestsAsUnavailable() {
    VersionRunner runner = runner(echo(false), Duration.ofHours(1));
    var reply = runner.run(ECHO, Map.of("x", rows(0, 1, 2)), Set.of("y"), RequestScope.unbounded());
    runner.close();
    assertThatThrownBy(() -> reply.get(10, TimeUnit.SECONDS))
        .cause()
        .matches(e -> ((ServingException) e).kind() == ErrorKind.UNAVAILABLE);
  }
}
