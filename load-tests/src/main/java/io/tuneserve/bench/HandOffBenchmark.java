package io.tuneserve.bench;

import io.tuneserve.batching.BatchQueue;
import io.tuneserve.batching.BatchScheduler;
import io.tuneserve.batching.BatchTask;
import io.tuneserve.batching.BatchingOptions;
import io.tuneserve.batching.Clock;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The cost of handing a request from a Vert.x event loop to the thread that runs TensorFlow and
 * back, without the model: what every inference pays on top of its compute.
 *
 * <ul>
 *   <li>{@code inline}: the work runs on the event loop itself (what the server must not do).
 *   <li>{@code batchScheduler}: the server's path: event loop, batch queue (one request a batch, no
 *       delay), worker thread, completion back on the event loop.
 *   <li>{@code eventBusWorker}: the same round trip through the event bus to a worker verticle.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HandOffBenchmark {
  private static final String ADDRESS = "bench.work";

  private Vertx vertx;
  private Context eventLoop;
  private BatchScheduler scheduler;
  private BatchQueue<Work> queue;

  /** One request of one row. */
  record Work(CompletableFuture<Integer> reply, Context origin) implements BatchTask {
    @Override
    public int size() {
      return 1;
    }
  }

  /** Answers requests on a worker thread. */
  static final class WorkerVerticle extends VerticleBase {
    @Override
    public Future<?> start() {
      vertx.eventBus().<Integer>consumer(ADDRESS, message -> message.reply(compute()));
      return Future.succeededFuture();
    }
  }

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    vertx = Vertx.vertx();
    eventLoop = vertx.getOrCreateContext();
    scheduler = new BatchScheduler("bench-batch", 2, Clock.SYSTEM);
    queue =
        scheduler.addQueue(
            new BatchingOptions(1, Duration.ZERO, 10_000),
            batch -> {
              for (Work work : batch) {
                int result = compute();
                work.origin().runOnContext(v -> work.reply().complete(result));
              }
            });
    vertx
        .deployVerticle(
            WorkerVerticle::new,
            new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setInstances(2))
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    scheduler.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static int compute() {
    return 42;
  }

  @Benchmark
  public int inline() throws Exception {
    CompletableFuture<Integer> reply = new CompletableFuture<>();
    eventLoop.runOnContext(v -> reply.complete(compute()));
    return reply.get(10, TimeUnit.SECONDS);
  }

  @Benchmark
  public int batchScheduler() throws Exception {
    CompletableFuture<Integer> reply = new CompletableFuture<>();
    eventLoop.runOnContext(
        v -> {
          if (!scheduler.schedule(queue, new Work(reply, eventLoop))) {
            reply.completeExceptionally(new IllegalStateException("queue full"));
          }
        });
    return reply.get(10, TimeUnit.SECONDS);
  }

  @Benchmark
  public int eventBusWorker() throws Exception {
    CompletableFuture<Integer> reply = new CompletableFuture<>();
    eventLoop.runOnContext(
        v ->
            vertx
                .eventBus()
                .<Integer>request(ADDRESS, 1)
                .onSuccess(message -> reply.complete(message.body()))
                .onFailure(reply::completeExceptionally));
    return reply.get(10, TimeUnit.SECONDS);
  }

  /** Runs the three variants and prints each one's cost above the inline baseline. */
  public static void main(String[] args) throws Exception {
    var results =
        new Runner(
                new OptionsBuilder()
                    .include(HandOffBenchmark.class.getSimpleName())
                    .jvmArgsAppend("-Dvertx.disableDnsResolver=true")
                    .build())
            .run();
    double inline = score(results, "inline");
    System.out.println();
    System.out.println("| path | round trip (µs) | extra over inline (µs) | ratio to inline |");
    System.out.println("|---|---|---|---|");
    for (String name : List.of("inline", "batchScheduler", "eventBusWorker")) {
      double score = score(results, name);
      System.out.printf(
          Locale.ROOT, "| %s | %.2f | %.2f | %.2f |%n", name, score, score - inline, score / inline);
    }
  }

  private static double score(java.util.Collection<RunResult> results, String method) {
    return results.stream()
        .filter(r -> r.getParams().getBenchmark().endsWith("." + method))
        .findFirst()
        .orElseThrow()
        .getPrimaryResult()
        .getScore();
  }
}
