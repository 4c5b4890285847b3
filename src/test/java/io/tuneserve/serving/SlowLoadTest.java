package io.tuneserve.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tuneserve.batching.BatchScheduler;
import io.tuneserve.batching.BatchingOptions;
import io.tuneserve.batching.Clock;
import io.tuneserve.metrics.ServingMetrics;
import io.tuneserve.model.DType;
import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.ModelLoader;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.repository.ModelRepository;
import io.tuneserve.testing.FunctionModel;
import io.tuneserve.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A version that takes long to load: the manager's policy logic with a loader that holds version 2
 * until the test lets it go. Version 1 serves all along, version 2 is reported LOADING (so the
 * registry can show it), asking for it by number gets 503, and once loaded it replaces version 1.
 */
class SlowLoadTest {
  private static final SignatureSpec ECHO =
      new SignatureSpec(
          "serving_default",
          "tensorflow/serving/predict",
          Map.of("x", TensorSpec.of("x", "x:0", DType.FP32, new long[] {-1, 2})),
          Map.of("y", TensorSpec.of("y", "y:0", DType.FP32, new long[] {-1, 2})));

  private final BatchScheduler scheduler = new BatchScheduler("test", 1, Clock.SYSTEM);
  private final ExecutorService direct = Executors.newSingleThreadExecutor();
  private final CountDownLatch release = new CountDownLatch(1);
  private Path repository;
  private ModelManager manager;

  @AfterEach
  void stop() {
    release.countDown();
    if (manager != null) {
      manager.close();
    }
    scheduler.close();
    direct.shutdown();
    TestServer.deleteTree(repository);
  }

  /** Answers with the version number it was loaded from, times the input. */
  private static LoadedModel scaling(float factor) {
    return new FunctionModel(
        ECHO,
        inputs -> {
          TensorData x = inputs.get("x");
          float[] values = new float[(int) x.elementCount()];
          for (int i = 0; i < values.length; i++) {
            values[i] = (float) x.doubleAt(i) * factor;
          }
          return Map.of("y", TensorData.ofFloats(x.shape(), values));
        });
  }

  private double answer(OptionalLong version) throws Exception {
    ServedVersion served = manager.acquire("m", version);
    try {
      return served
          .run(
              ECHO,
              Map.of("x", TensorData.ofFloats(new long[] {1, 2}, new float[] {1, 1})),
              Set.of("y"))
          .get(10, TimeUnit.SECONDS)
          .get("y")
          .doubleAt(0);
    } finally {
      served.release();
    }
  }

  private VersionState state(long version) {
    return manager.status("m").orElseThrow().versions().stream()
        .filter(v -> v.version() == version)
        .findFirst()
        .map(VersionStatus::state)
        .orElse(null);
  }

  @Test
  void thePreviousVersionServesWhileTheNextOneLoads() throws Exception {
    repository = Files.createTempDirectory("tuneserve-slow");
    for (int version : new int[] {1}) {
      Files.createDirectories(repository.resolve("m/" + version));
      Files.write(repository.resolve("m/" + version + "/saved_model.pb"), new byte[] {0});
    }
    ModelLoader loader =
        (directory, features) -> {
          if (directory.getFileName().toString().equals("2")) {
            try {
              release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return scaling(2);
          }
          return scaling(1);
        };
    manager =
        new ModelManager(
            new ModelRepository(repository),
            loader,
            new ServingMetrics(new SimpleMeterRegistry()),
            scheduler,
            direct,
            new RunnerOptions(
                true, new BatchingOptions(8, Duration.ZERO, 100), Duration.ZERO, false),
            Clock.SYSTEM);
    List<VersionState> seen = new CopyOnWriteArrayList<>();
    manager.onVersionStateChange(
        () -> {
          VersionState two = state(2);
          if (two != null) {
            seen.add(two);
          }
        });
    manager.rescan().get(10, TimeUnit.SECONDS);
    assertThat(answer(OptionalLong.empty())).isEqualTo(1.0);

    Files.createDirectories(repository.resolve("m/2"));
    Files.write(repository.resolve("m/2/saved_model.pb"), new byte[] {0});
    var loading = manager.rescan();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (state(2) != VersionState.LOADING) {
      assertThat(System.nanoTime()).isLessThan(deadline);
      Thread.sleep(10);
    }
    assertThat(seen).as("LOADING reported as soon as it starts").contains(VersionState.LOADING);
    for (int i = 0; i < 20; i++) {
      assertThat(answer(OptionalLong.empty())).as("version 1 serves meanwhile").isEqualTo(1.0);
    }
    assertThatThrownBy(() -> manager.acquire("m", OptionalLong.of(2)))
        .isInstanceOf(ServingException.class)
        .hasMessageContaining("still loading");

    release.countDown();
    loading.get(10, TimeUnit.SECONDS);
    assertThat(answer(OptionalLong.empty())).isEqualTo(2.0);
    assertThat(seen).contains(VersionState.AVAILABLE);
    while (state(1) != null) {
      assertThat(System.nanoTime()).as("version 1 unloaded").isLessThan(deadline);
      Thread.sleep(10);
    }
  }
}
