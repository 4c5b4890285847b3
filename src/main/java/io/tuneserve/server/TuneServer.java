package io.tuneserve.server;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tuneserve.batching.BatchScheduler;
import io.tuneserve.batching.BatchingOptions;
import io.tuneserve.batching.Clock;
import io.tuneserve.config.ServerConfig;
import io.tuneserve.http.HttpSettings;
import io.tuneserve.http.HttpVerticle;
import io.tuneserve.inference.InferenceService;
import io.tuneserve.metrics.ServingMetrics;
import io.tuneserve.repository.ModelRepository;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.RunnerOptions;
import io.tuneserve.tf.TensorFlowTrainer;
import io.tuneserve.tf.TfModelLoader;
import io.tuneserve.tf.TfRuntimeOptions;
import io.tuneserve.training.JobManager;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Wires the server together from its configuration and runs it: the one place objects are built.
 */
public final class TuneServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(TuneServer.class.getName());

  private final ServerConfig config;
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final ServingMetrics metrics = new ServingMetrics(registry);
  private final BatchScheduler scheduler;
  private final ThreadPoolExecutor unbatched;
  private final ModelManager manager;
  private final JobManager jobs;
  private final InferenceService inference;
  private final Vertx vertx;
  private volatile int port = -1;

  public TuneServer(ServerConfig config) {
    this.config = config;
    int cores = Runtime.getRuntime().availableProcessors();
    ServerConfig.Batching batching = config.batching();
    int workers = batching.threads() > 0 ? batching.threads() : cores;
    this.scheduler = new BatchScheduler("tuneserve-batch", workers, Clock.SYSTEM);
    this.unbatched =
        new ThreadPoolExecutor(
            workers,
            workers,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(batching.maxUnbatchedQueue()),
            daemonThreads("tuneserve-infer"));
    ServerConfig.Tensorflow tf = config.tensorflow();
    RunnerOptions runnerOptions =
        new RunnerOptions(
            batching.enabled(),
            new BatchingOptions(
                batching.maxBatchSize(),
                Duration.ofNanos(Math.round(batching.maxQueueDelayMs() * 1_000_000)),
                batching.maxQueuedRequests()));
    ModelRepository repository = new ModelRepository(Path.of(config.models().directory()));
    this.manager =
        new ModelManager(
            repository,
            new TfModelLoader(
                new TfRuntimeOptions(
                    tf.intraOpThreads(),
                    tf.interOpThreads(),
                    tf.gpuAllowGrowth(),
                    tf.gpuMemoryFraction())),
            metrics,
            scheduler,
            unbatched,
            runnerOptions,
            Clock.SYSTEM);
    this.inference = new InferenceService(manager);
    this.jobs =
        new JobManager(
            new TensorFlowTrainer(),
            manager,
            repository,
            config.training().maxConcurrentJobs(),
            config.training().maxQueuedJobs(),
            () -> inference.inFlight() > 0,
            config.training().inferenceYield(),
            config.training().headOnly(),
            java.time.Clock.systemUTC());
    int eventLoops = config.http().eventLoops() > 0 ? config.http().eventLoops() : cores;
    this.vertx =
        Vertx.builder()
            .with(
                new VertxOptions()
                    .setEventLoopPoolSize(eventLoops)
                    .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false))
                    .setMetricsOptions(
                        new MicrometerMetricsOptions()
                            .setEnabled(true)
                            .setJvmMetricsEnabled(true)
                            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))))
            .withMetrics(new MicrometerMetricsFactory(registry))
            .build();
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.getAndIncrement());
      thread.setDaemon(true);
      return thread;
    };
  }

  /** Starts listening, then loads the repository; completes once the HTTP server listens. */
  public Future<Integer> start() {
    ServerConfig.Http http = config.http();
    HttpSettings settings =
        new HttpSettings(
            http.host(),
            http.port(),
            http.maxBodyBytes(),
            http.maxImagePixels(),
            http.websocketMaxInFlight(),
            config.training().maxExamples());
    String version = serverVersion();
    HttpVerticle[] first = new HttpVerticle[1];
    int instances =
        config.http().eventLoops() > 0
            ? config.http().eventLoops()
            : Runtime.getRuntime().availableProcessors();
    return vertx
        .deployVerticle(
            () -> {
              HttpVerticle verticle =
                  new HttpVerticle(settings, inference, manager, jobs, metrics, registry, version);
              synchronized (first) {
                if (first[0] == null) {
                  first[0] = verticle;
                }
              }
              return verticle;
            },
            new DeploymentOptions().setInstances(instances))
        .map(
            id -> {
              port = first[0].actualPort();
              LOG.info(() -> "listening on http://" + http.host() + ":" + port);
              rescan();
              long pollMillis = Math.round(config.models().pollIntervalSeconds() * 1000);
              if (pollMillis > 0) {
                vertx.setPeriodic(pollMillis, pollMillis, timer -> rescan());
              }
              return port;
            });
  }

  @SuppressWarnings("FutureReturnValueIgnored") // the outcome is logged by the callback
  private void rescan() {
    manager
        .rescan()
        .whenComplete(
            (done, error) -> {
              if (error != null) {
                LOG.log(Level.SEVERE, "cannot read the model repository", error);
              }
            });
  }

  public int port() {
    return port;
  }

  public ModelManager manager() {
    return manager;
  }

  private static String serverVersion() {
    String version = TuneServer.class.getPackage().getImplementationVersion();
    return version == null ? "development" : version;
  }

  @Override
  public void close() {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.log(Level.WARNING, "HTTP server did not close cleanly", e);
    }
    jobs.close();
    manager.close();
    scheduler.close();
    unbatched.shutdown();
  }
}
