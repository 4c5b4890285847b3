package io.tuneserve.serving;

import io.tuneserve.batching.BatchScheduler;
import io.tuneserve.batching.BatchingOptions;
import io.tuneserve.batching.Clock;
import io.tuneserve.metrics.ServingMetrics;
import io.tuneserve.model.ErrorKind;
import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.ModelLoadException;
import io.tuneserve.model.ModelLoader;
import io.tuneserve.model.ServingException;
import io.tuneserve.repository.HeadDefinition;
import io.tuneserve.repository.ModelRepository;
import io.tuneserve.repository.ModelSettings;
import io.tuneserve.repository.ModelSource;
import io.tuneserve.repository.VersionManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Decides which versions of which models are loaded, following the repository and each model's
 * version policy, and hands out available versions to requests. A new version is loaded and warmed
 * up before the one it replaces is unloaded; a version that fails to load never replaces a working
 * one. All loading and unloading happens on one control thread, in the order it was asked for.
 */
public final class ModelManager implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ModelManager.class.getName());

  private final ModelRepository repository;
  private final ModelLoader loader;
  private final ServingMetrics metrics;
  private final BatchScheduler scheduler;
  private final Executor directExecutor;
  private final RunnerOptions defaultRunnerOptions;
  private final Clock clock;
  private final ExecutorService control =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread thread = new Thread(r, "tuneserve-model-manager");
            thread.setDaemon(true);
            return thread;
          });
  private final Map<String, ManagedModel> models = new ConcurrentHashMap<>();
  private volatile boolean initialScanDone;
  private volatile VersionLabels labels = VersionLabels.none();
  private final List<Runnable> stateListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** The models the manager knows, with their versions. */
  private static final class ManagedModel {
    final String name;
    final ConcurrentSkipListMap<Long, ServedVersion> versions = new ConcurrentSkipListMap<>();
    volatile ModelSource source;
    volatile boolean unloadRequested;

    /** The stable version this node last served, kept while a newly labelled one loads. */
    volatile Long lastStable;

    ManagedModel(ModelSource source) {
      this.name = source.name();
      this.source = source;
    }
  }

  public ModelManager(
      ModelRepository repository,
      ModelLoader loader,
      ServingMetrics metrics,
      BatchScheduler scheduler,
      Executor directExecutor,
      RunnerOptions defaultRunnerOptions,
      Clock clock) {
    this.repository = repository;
    this.loader = loader;
    this.metrics = metrics;
    this.scheduler = scheduler;
    this.directExecutor = directExecutor;
    this.defaultRunnerOptions = defaultRunnerOptions;
    this.clock = clock;
    metrics.versionsAvailable(this::availableVersionCount);
  }

  /**
   * Calls {@code listener} (on the manager's control thread; it must be quick) whenever a version
   * starts loading, becomes available, fails or starts unloading.
   */
  public void onVersionStateChange(Runnable listener) {
    stateListeners.add(listener);
  }

  private void stateChanged() {
    stateListeners.forEach(Runnable::run);
  }

  /**
   * Takes version labels from now on: requests that name no version get the {@code stable} one, and
   * every labelled version present is loaded whatever the version policy.
   */
  public void useLabels(VersionLabels source) {
    this.labels = source;
  }

  public VersionLabels labels() {
    return labels;
  }

  /** The version a model's label names; 404 naming the label when the model has no such label. */
  public long labelled(String model, String label) {
    VersionLabels.checkName(label);
    Long version = labels.of(model).get(label);
    if (version == null) {
      throw ServingException.notFound(
          "Servable not found for request: Label(" + model + ", " + label + ")");
    }
    return version;
  }

  /** Converges one model again, as its labels changed. */
  public CompletableFuture<Void> labelsChanged(String name) {
    return onControlThread(
        () -> {
          ManagedModel model = models.get(name);
          if (model != null) {
            converge(model, false);
          }
        });
  }

  /** True once the first scan has loaded (or failed) every version it found. */
  public boolean isReady() {
    return initialScanDone;
  }

  /** Re-reads the whole repository and converges to it. */
  public CompletableFuture<Void> rescan() {
    return onControlThread(
        () -> {
          Map<String, ModelSource> found = repository.scan();
          for (ModelSource source : found.values()) {
            ManagedModel model =
                models.computeIfAbsent(source.name(), n -> new ManagedModel(source));
            model.source = source;
            converge(model, false);
          }
          for (ManagedModel model : models.values()) {
            if (!found.containsKey(model.name)) {
              converge(model, true);
            }
          }
          initialScanDone = true;
        });
  }

  /** Loads a model from the repository (again), retrying versions that failed before. */
  public CompletableFuture<Void> load(String name) {
    return onControlThread(
        () -> {
          ModelSource source =
              repository
                  .scan(name)
                  .orElseThrow(
                      () -> ServingException.notFound("no model " + name + " in the repository"));
          ManagedModel model = models.computeIfAbsent(name, n -> new ManagedModel(source));
          model.source = source;
          model.unloadRequested = false;
          model.versions.values().removeIf(v -> v.state() == VersionState.FAILED);
          converge(model, false);
        });
  }

  /** Unloads every version of a model until it is loaded again. */
  public CompletableFuture<Void> unload(String name) {
    return onControlThread(
        () -> {
          ManagedModel model = models.get(name);
          if (model == null) {
            throw ServingException.notFound("no model " + name + " is known");
          }
          model.unloadRequested = true;
          converge(model, true);
        });
  }

  private CompletableFuture<Void> onControlThread(IoAction action) {
    return CompletableFuture.runAsync(
        () -> {
          try {
            action.run();
          } catch (IOException e) {
            throw new ServingException(ErrorKind.INTERNAL, e.getMessage(), e);
          }
        },
        control);
  }

  @FunctionalInterface
  private interface IoAction {
    void run() throws IOException;
  }

  private void converge(ManagedModel model, boolean retireAll) {
    NavigableSet<Long> aspired =
        retireAll || model.unloadRequested
            ? new TreeSet<>()
            : new TreeSet<>(model.source.aspiredVersions());
    if (!retireAll && !model.unloadRequested) {
      // Labelled versions stay served whatever the policy: requests name them.
      labels.of(model.name).values().stream()
          .filter(model.source.versions()::contains)
          .forEach(aspired::add);
    }
    for (long version : aspired) {
      if (!model.versions.containsKey(version)) {
        loadVersion(model, version);
      }
    }
    boolean aspiredAvailable =
        aspired.stream()
            .map(model.versions::get)
            .anyMatch(v -> v != null && v.state() == VersionState.AVAILABLE);
    for (ServedVersion served : new ArrayList<>(model.versions.values())) {
      if (aspired.contains(served.version())) {
        continue;
      }
      if (served.state() == VersionState.FAILED) {
        model.versions.remove(served.version(), served);
      } else if (aspiredAvailable || aspired.isEmpty()) {
        served.beginUnload(() -> model.versions.remove(served.version(), served));
        stateChanged();
        LOG.info(() -> "unloading " + model.name + " version " + served.version());
      }
    }
  }

  private void loadVersion(ManagedModel model, long version) {
    ModelSettings settings = model.source.settings(version);
    ServedVersion served =
        new ServedVersion(
            model.name, version, settings, model.source.lineage(version).orElse(null));
    model.versions.put(version, served);
    stateChanged();
    long start = clock.nanoTime();
    LoadedModel loaded = null;
    try {
      Path directory = model.source.versionDirectory(version);
      Optional<VersionManifest> manifest = VersionManifest.read(directory);
      if (manifest.isPresent()) {
        List<String> differences = manifest.get().differences(directory);
        if (!differences.isEmpty()) {
          throw new ModelLoadException(
              "refused: the version's files do not match its manifest: "
                  + String.join("; ", differences),
              null);
        }
      }
      RunnerOptions options;
      ModelSettings loadedSettings;
      if (HeadDefinition.existsIn(directory)) {
        loaded =
            new HeadOnlyModel(
                HeadDefinition.read(directory),
                this,
                Files.size(directory.resolve(HeadDefinition.FILE_NAME)));
        loadedSettings = settings.forVersion(loaded.signatures());
        options = runnerOptions(loaded, loadedSettings);
      } else {
        loaded = loader.load(directory, settings.featureSource().layers());
        loadedSettings = settings.forVersion(loaded.signatures());
        options =
            warmUp(
                model.name, version, loaded, loadedSettings, runnerOptions(loaded, loadedSettings));
      }
      served.becomeAvailable(
          loaded,
          new VersionRunner(model.name, loaded, options, scheduler, directExecutor, metrics, clock),
          loadedSettings);
      metrics.loadTime(model.name, clock.nanoTime() - start);
      stateChanged();
      String note = loaded.loadNote();
      LOG.info(
          () ->
              "loaded " + model.name + " version " + version + (note.isEmpty() ? "" : ": " + note));
    } catch (ModelLoadException | IOException | RuntimeException e) {
      if (loaded != null) {
        loaded.close();
      }
      String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      served.fail(reason);
      stateChanged();
      metrics.loadFailure(model.name);
      LOG.log(
          Level.WARNING, "failed to load " + model.name + " version " + version + ": " + reason);
    }
  }

  private RunnerOptions runnerOptions(LoadedModel loaded, ModelSettings settings) {
    if (!loaded.batchable()) {
      return defaultRunnerOptions.unbatched();
    }
    ModelSettings.BatchingOverrides overrides = settings.batching();
    if (overrides == null) {
      return defaultRunnerOptions;
    }
    BatchingOptions defaults = defaultRunnerOptions.batchingOptions();
    BatchingOptions merged =
        new BatchingOptions(
            overrides.maxBatchSize() != null ? overrides.maxBatchSize() : defaults.maxBatchSize(),
            overrides.maxQueueDelayMs() != null
                ? Duration.ofNanos(Math.round(overrides.maxQueueDelayMs() * 1e6))
                : defaults.maxQueueDelay(),
            overrides.maxQueuedRequests() != null
                ? overrides.maxQueuedRequests()
                : defaults.maxQueuedTasks());
    boolean enabled =
        overrides.enabled() != null ? overrides.enabled() : defaultRunnerOptions.batching();
    return defaultRunnerOptions.withBatching(enabled, merged);
  }

  /** Warms the version; returns its options with the batch cap the warm-up measured. */
  private RunnerOptions warmUp(
      String name,
      long version,
      LoadedModel loaded,
      ModelSettings settings,
      RunnerOptions options) {
    long start = clock.nanoTime();
    BatchingOptions batching = options.batchingOptions();
    WarmUp.Outcome outcome =
        WarmUp.run(
            loaded,
            settings,
            options.batching() ? batching.maxBatchSize() : 1,
            options.batching() && options.capAtFastestBatch(),
            options.warmUp(),
            clock);
    LOG.info(
        () ->
            String.format(
                Locale.ROOT,
                "warmed %s version %d with %d batch sizes in %.0f ms%s",
                name,
                version,
                outcome.sizes().size(),
                (clock.nanoTime() - start) / 1e6,
                outcome.msPerImage().isEmpty()
                    ? ""
                    : "; ms per image by batch size "
                        + outcome.msPerImage().entrySet().stream()
                            .map(
                                e ->
                                    String.format(
                                        Locale.ROOT, "%d: %.3f", e.getKey(), e.getValue()))
                            .collect(Collectors.joining(", "))
                        + "; batches capped at "
                        + outcome.batchCap()));
    if (!options.batching() || outcome.batchCap() >= batching.maxBatchSize()) {
      return options;
    }
    return options.withBatching(true, batching.withMaxBatchSize(outcome.batchCap()));
  }

  /**
   * Takes a hold on the requested version (the newest available one when none is given). The caller
   * must {@link ServedVersion#release} it.
   */
  /** TF Serving's error for a model, or version of it, that is not served. */
  public static ServingException notFound(String model, OptionalLong version) {
    return ServingException.notFound(
        "Servable not found for request: "
            + (version.isPresent()
                ? "Specific(" + model + ", " + version.getAsLong() + ")"
                : "Latest(" + model + ")"));
  }

  public ServedVersion acquire(String name, OptionalLong version) {
    ManagedModel model = models.get(name);
    if (model == null) {
      throw notFound(name, version);
    }
    Long stable = version.isPresent() ? null : labels.of(name).get(VersionLabels.STABLE);
    if (stable != null) {
      ServedVersion labelled = model.versions.get(stable);
      if (labelled != null && labelled.tryAcquire()) {
        model.lastStable = stable;
        return labelled;
      }
      // Until the newly labelled version is available here, what this node served before.
      Long previous = model.lastStable;
      ServedVersion before = previous == null ? null : model.versions.get(previous);
      if (before != null && before.tryAcquire()) {
        return before;
      }
      // Else the newest available, as before there was a label; unless the labelled one failed.
      if (labelled != null && labelled.state() == VersionState.FAILED) {
        version = OptionalLong.of(stable);
      }
    }
    if (version.isPresent()) {
      ServedVersion served = model.versions.get(version.getAsLong());
      if (served != null && served.tryAcquire()) {
        return served;
      }
      if (served != null && served.state() == VersionState.LOADING) {
        throw ServingException.unavailable(
            "model " + name + " version " + version.getAsLong() + " is still loading");
      }
      throw ServingException.notFound(
          "Servable not found for request: Specific(" + name + ", " + version.getAsLong() + ")");
    }
    for (ServedVersion served : model.versions.descendingMap().values()) {
      if (served.tryAcquire()) {
        return served;
      }
    }
    Optional<ServedVersion> failed =
        model.versions.values().stream().filter(v -> v.state() == VersionState.FAILED).findFirst();
    throw ServingException.unavailable(
        "model "
            + name
            + " has no version available"
            + failed
                .map(v -> " (version " + v.version() + " failed to load: " + v.error() + ")")
                .orElse(""));
  }

  /** Every known model with its versions, by name. */
  public List<ModelStatus> status() {
    return models.values().stream()
        .sorted(Comparator.comparing(m -> m.name))
        .map(ModelManager::statusOf)
        .toList();
  }

  /** Whether a model of this name is known (cheap: no snapshot is built). */
  public boolean knows(String name) {
    return models.containsKey(name);
  }

  public Optional<ModelStatus> status(String name) {
    return Optional.ofNullable(models.get(name)).map(ModelManager::statusOf);
  }

  private static ModelStatus statusOf(ManagedModel model) {
    List<VersionStatus> versions =
        model.versions.descendingMap().values().stream()
            .map(
                v ->
                    new VersionStatus(
                        v.version(), v.state(), v.error(), v.lineage(), v.maxBatchSize()))
            .toList();
    return new ModelStatus(
        model.name, versions, model.unloadRequested, model.source.settingsError());
  }

  private int availableVersionCount() {
    int count = 0;
    for (ManagedModel model : models.values()) {
      for (ServedVersion version : model.versions.values()) {
        if (version.state() == VersionState.AVAILABLE) {
          count++;
        }
      }
    }
    return count;
  }

  @Override
  public void close() {
    control.shutdown();
    try {
      control.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (ManagedModel model : models.values()) {
      for (ServedVersion version : model.versions.values()) {
        version.beginUnload(() -> {});
      }
    }
  }
}
