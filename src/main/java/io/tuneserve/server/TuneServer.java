package io.tuneserve.server;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tuneserve.batching.BatchScheduler;
import io.tuneserve.batching.BatchingOptions;
import io.tuneserve.batching.Clock;
import io.tuneserve.cluster.ClusterMember;
import io.tuneserve.config.ServerConfig;
import io.tuneserve.dataset.DatasetStore;
import io.tuneserve.feedback.ContinualTrainer;
import io.tuneserve.http.Draining;
import io.tuneserve.http.HttpSettings;
import io.tuneserve.http.HttpVerticle;
import io.tuneserve.http.JobRequests;
import io.tuneserve.http.ServerParts;
import io.tuneserve.inference.InferenceService;
import io.tuneserve.metrics.ServingMetrics;
import io.tuneserve.registry.CheckpointStore;
import io.tuneserve.registry.Checkpoints;
import io.tuneserve.registry.ModelRegistry;
import io.tuneserve.registry.NodeConvergence;
import io.tuneserve.registry.ObjectStoreCheckpoints;
import io.tuneserve.registry.RegistrySync;
import io.tuneserve.registry.SharedDirectoryStore;
import io.tuneserve.registry.VersionPublisher;
import io.tuneserve.repository.ModelRepository;
import io.tuneserve.rollout.RolloutSupervisor;
import io.tuneserve.rollout.Rollouts;
import io.tuneserve.rollout.TrialTraffic;
import io.tuneserve.s3.S3ObjectStore;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.RunnerOptions;
import io.tuneserve.storage.DirectoryObjectStore;
import io.tuneserve.tf.TensorFlowTrainer;
import io.tuneserve.tf.TfModelLoader;
import io.tuneserve.tf.TfRuntimeOptions;
import io.tuneserve.training.JobBoard;
import io.tuneserve.training.JobManager;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
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
  private final ModelRepository repository;
  private final InferenceService inference;
  private final ClusterMember member;

  /** The S3 store of datasets and checkpoints; null when the configuration uses none. */
  private final S3ObjectStore s3;

  private volatile Vertx vertx;
  private volatile JobManager jobs;
  private volatile NodeConvergence convergence;
  private volatile RolloutSupervisor rolloutSupervisor;
  private volatile ContinualTrainer continual;
  private volatile int port = -1;
  private final Draining draining = new Draining();
  private final List<HttpVerticle> verticles = new CopyOnWriteArrayList<>();

  public TuneServer(ServerConfig config) throws IOException {
    this.config = config;
    // The CPUs this process may use: its affinity mask (taskset) and its container's CPU limit,
    // which TensorFlow's own default (every CPU of the affinity mask) does not see.
    int cores = Runtime.getRuntime().availableProcessors();
    ServerConfig.Batching batching = config.batching();
    int workers = batching.threads() > 0 ? batching.threads() : cores;
    this.scheduler =
        new BatchScheduler("tuneserve-batch", workers, Clock.SYSTEM, new AfterEventLoopBurst());
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
                batching.maxQueuedRequests()),
            Duration.ofNanos(Math.round(batching.warmUpSeconds() * 1e9)),
            batching.capAtFastestBatch());
    this.repository = new ModelRepository(Path.of(config.models().directory()));
    this.member = ClusterMember.configure(config.cluster());
    this.manager =
        new ModelManager(
            repository,
            new TfModelLoader(
                new TfRuntimeOptions(
                    tf.intraOpThreads() > 0 ? tf.intraOpThreads() : cores,
                    tf.interOpThreads() > 0 ? tf.interOpThreads() : cores,
                    tf.gpuAllowGrowth(),
                    tf.gpuMemoryFraction())),
            metrics,
            scheduler,
            unbatched,
            runnerOptions,
            Clock.SYSTEM);
    this.inference = new InferenceService(manager, batching.maxRequestRows());
    this.s3 = config.usesS3() ? connect(config.s3()) : null;
  }

  private static S3ObjectStore connect(ServerConfig.S3 settings) throws IOException {
    return new S3ObjectStore(
        settings.endpoint(),
        settings.region(),
        settings.bucket(),
        settings.prefix(),
        settings.pathStyle(),
        settings.accessKeyId(),
        settings.secretAccessKey());
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.getAndIncrement());
      thread.setDaemon(true);
      return thread;
    };
  }

  /**
   * Joins the cluster, starts listening, then brings the node to the registry; completes once the
   * HTTP server listens.
   */
  public Future<Integer> start() {
    if (!Files.isDirectory(repository.root())) {
      try {
        Files.createDirectories(repository.root());
        LOG.info(
            () ->
                "created an empty model repository "
                    + repository.root()
                    + "; the cluster fills it");
      } catch (IOException e) {
        return Future.failedFuture(e);
      }
    }
    int cores = Runtime.getRuntime().availableProcessors();
    int eventLoops = config.http().eventLoops() > 0 ? config.http().eventLoops() : cores;
    String host = config.cluster().host();
    return Vertx.builder()
        .with(
            new VertxOptions()
                .setEventLoopPoolSize(eventLoops)
                .setEventBusOptions(
                    new EventBusOptions()
                        .setHost(host)
                        .setClusterPublicHost(host)
                        .setPort(config.cluster().eventBusPort()))
                .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false))
                .setMetricsOptions(
                    new MicrometerMetricsOptions()
                        .setEnabled(true)
                        // tuneserve_requests and tuneserve_request_duration count every request
                        // by API, model, version and status; Vert.x's own per-request meters
                        // would repeat them at a cost on the event loop for each request.
                        .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER)
                        .setJvmMetricsEnabled(true)
                        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .withClusterManager(member.clusterManager())
        .buildClustered()
        .compose(
            clustered -> {
              vertx = clustered;
              return listen(eventLoops);
            });
  }

  private Future<Integer> listen(int instances) {
    ModelRegistry modelRegistry = member.registry();
    manager.useLabels(member.labels(manager::labelsChanged));
    Rollouts rollouts = member.rollouts();
    TrialTraffic traffic = new TrialTraffic(rollouts, metrics);
    inference.useTrials(traffic);
    rolloutSupervisor =
        new RolloutSupervisor(
            rollouts,
            traffic,
            manager.labels(),
            modelRegistry.nodeId(),
            java.time.Clock.systemUTC());
    rolloutSupervisor.start(500);
    ServerConfig.Registry registrySettings = config.registry();
    CheckpointStore store =
        switch (registrySettings.checkpointStore()) {
          case ServerConfig.Registry.SHARED ->
              new SharedDirectoryStore(Path.of(registrySettings.sharedDirectory()));
          case ServerConfig.S3.KIND -> new ObjectStoreCheckpoints(s3);
          default -> member.replicatedStore();
        };
    Checkpoints checkpoints = new Checkpoints(store, registrySettings.inlineMaxBytes());
    java.time.Clock utc = java.time.Clock.systemUTC();
    RegistrySync sync = new RegistrySync(modelRegistry, checkpoints, repository, utc);
    VersionPublisher publisher =
        new VersionPublisher(
            modelRegistry,
            checkpoints,
            repository,
            sync,
            registrySettings.keepVersions(),
            utc,
            manager.labels());
    convergence = new NodeConvergence(sync, manager, utc);
    metrics.cluster(() -> modelRegistry.nodes().size(), () -> modelRegistry.versions().size());
    JobBoard board = member.jobBoard();
    jobs =
        new JobManager(
            new TensorFlowTrainer(),
            manager,
            repository,
            publisher,
            board,
            config.training().maxConcurrentJobs(),
            config.training().maxQueuedJobs(),
            () -> inference.inFlight() > 0,
            config.training().inferenceYield(),
            config.training().headOnly(),
            rollouts,
            java.time.Clock.systemUTC());
    ServerConfig.Http http = config.http();
    HttpSettings settings =
        new HttpSettings(
            http.host(),
            http.port(),
            http.maxBodyBytes(),
            http.maxImagePixels(),
            http.websocketMaxInFlight(),
            config.training().maxExamples(),
            config.datasets().maxUploadBytes(),
            config.security().acceptedTokens(),
            config.security().protectInference(),
            config.security().tlsCertFile(),
            config.security().tlsKeyFile());
    String version = serverVersion();
    Path datasetDirectory = Path.of(config.datasets().directory());
    DatasetStore datasets =
        new DatasetStore(
            ServerConfig.S3.KIND.equals(config.datasets().store())
                ? s3.under("datasets/")
                : new DirectoryObjectStore(datasetDirectory),
            datasetDirectory,
            member.datasetLocks(),
            http.maxImagePixels(),
            java.time.Clock.systemUTC());
    JobRequests jobRequests =
        new JobRequests(
            jobs,
            manager,
            http.maxImagePixels(),
            config.training().maxExamples(),
            datasets,
            rollouts);
    continual =
        new ContinualTrainer(
            member.feedback(),
            body -> jobRequests.submit(body).id(),
            board::active,
            jobRequests::baseFor,
            java.time.Clock.systemUTC());
    continual.start(1000);
    ServerParts parts =
        new ServerParts(
            inference,
            manager,
            jobs,
            board,
            datasets,
            rollouts,
            member.feedback(),
            jobRequests,
            continual,
            convergence,
            publisher,
            metrics,
            registry,
            draining,
            version);
    HttpVerticle[] first = new HttpVerticle[1];
    return vertx
        .deployVerticle(
            () -> {
              HttpVerticle verticle = new HttpVerticle(settings, parts);
              verticles.add(verticle);
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
              modelRegistry.announce(advertisedUrl(port));
              modelRegistry.onChange(this::refresh);
              refresh();
              long pollMillis = Math.round(config.models().pollIntervalSeconds() * 1000);
              if (pollMillis > 0) {
                vertx.setPeriodic(pollMillis, pollMillis, timer -> refresh());
              }
              return port;
            });
  }

  /**
   * The URL other nodes reach this node's HTTP API at: its listening address, or the cluster
   * address when it listens on every interface.
   */
  private String advertisedUrl(int port) {
    String host = config.http().host();
    if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
      host = config.cluster().host();
    }
    return (config.security().tls() ? "https://" : "http://") + host + ":" + port;
  }

  @SuppressWarnings("FutureReturnValueIgnored") // failures are logged by the convergence
  private void refresh() {
    convergence.refresh();
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

  /**
   * Shuts down gracefully: readiness turns 503; after {@code http.drain_delay_seconds} the server
   * stops accepting connections and the requests in flight get {@code http.drain_seconds} to
   * finish; then running jobs are cancelled, models unloaded and the node leaves the cluster.
   */
  @Override
  public void close() {
    draining.start();
    if (continual != null) {
      continual.close();
    }
    ServerConfig.Http http = config.http();
    try {
      Thread.sleep(Math.round(http.drainDelaySeconds() * 1000));
      Duration drain = Duration.ofMillis(Math.round(http.drainSeconds() * 1000));
      Future.all(verticles.stream().map(v -> v.shutdown(drain)).toList())
          .toCompletionStage()
          .toCompletableFuture()
          .get(drain.toMillis() + 5000, TimeUnit.MILLISECONDS);
      LOG.info("requests in flight finished; stopping");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.log(Level.WARNING, "requests still in flight after the drain time", e);
    }
    if (jobs != null) {
      jobs.close();
    }
    if (rolloutSupervisor != null) {
      rolloutSupervisor.close();
    }
    if (convergence != null) {
      convergence.close();
    }
    if (vertx != null) {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.log(Level.WARNING, "the server did not leave the cluster cleanly", e);
      }
    }
    manager.close();
    scheduler.close();
    unbatched.shutdown();
    if (s3 != null) {
      s3.close();
    }
  }
}
