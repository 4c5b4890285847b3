package io.tuneserve.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.registry.VersionPublisher;
import io.tuneserve.repository.DirectoryTrees;
import io.tuneserve.repository.ModelRepository;
import io.tuneserve.repository.ModelSettings;
import io.tuneserve.repository.ModelSource;
import io.tuneserve.rollout.RolloutPolicy;
import io.tuneserve.rollout.Rollouts;
import io.tuneserve.rollout.Trial;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ServedVersion;
import io.tuneserve.serving.VersionLabels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs fine-tuning jobs on a bounded pool of its own, so training never takes the inference
 * threads, and publishes each result as the next version of its target model. A job that fails or
 * is cancelled publishes nothing: its files live in a staging directory until the final rename.
 */
public final class JobManager implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(JobManager.class.getName());

  private static final ObjectMapper JSON = new ObjectMapper();
  static final int KEPT_JOBS = 1000;

  private final Trainer trainer;
  private final ModelManager models;
  private final ModelRepository repository;
  private final VersionPublisher registry;
  private final JobBoard board;
  private final Clock clock;
  private final ThreadPoolExecutor pool;
  private final int concurrentJobs;
  private final AtomicInteger unfinished = new AtomicInteger();
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();
  private final BooleanSupplier inferenceBusy;
  private final double inferenceYield;
  private final boolean headOnly;
  private final Rollouts rollouts;

  /**
   * @param concurrentJobs jobs trained at once
   * @param queuedJobs jobs waiting beyond those; more are refused as overload
   * @param inferenceBusy whether inference requests are in flight
   * @param inferenceYield while they are, each training step is followed by a pause of this many
   *     times its duration, so inference keeps its latency (0: never pause)
   * @param headOnly publish linear classifiers over a frozen base as head-only versions
   * @param rollouts where a candidate that passes the accuracy check starts its trial, if its
   *     model's rollout settings ask for one
   */
  public JobManager(
      Trainer trainer,
      ModelManager models,
      ModelRepository repository,
      VersionPublisher registry,
      JobBoard board,
      int concurrentJobs,
      int queuedJobs,
      BooleanSupplier inferenceBusy,
      double inferenceYield,
      boolean headOnly,
      Rollouts rollouts,
      Clock clock) {
    this.rollouts = rollouts;
    this.trainer = trainer;
    this.models = models;
    this.repository = repository;
    this.registry = registry;
    this.board = board;
    board.onCancelRequested(id -> get(id).ifPresent(job -> job.requestCancel(clock.instant())));
    this.clock = clock;
    this.inferenceBusy = inferenceBusy;
    this.inferenceYield = inferenceYield;
    this.headOnly = headOnly;
    this.concurrentJobs = concurrentJobs;
    board.offerCapacity(concurrentJobs);
    this.pool =
        new ThreadPoolExecutor(
            concurrentJobs,
            concurrentJobs,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(queuedJobs),
            runnable -> {
              Thread thread = new Thread(runnable, "tuneserve-training");
              thread.setDaemon(true);
              thread.setPriority(Thread.MIN_PRIORITY);
              return thread;
            });
  }

  /** Checks a job against the models it names and queues it. */
  public Job submit(JobSpec spec, JobData data) {
    try {
      return queue(spec, data);
    } catch (RuntimeException e) {
      data.close();
      throw e;
    }
  }

  private Job queue(JobSpec requested, JobData data) {
    LabelledExamples examples = data.training();
    JobSpec spec =
        requested.withAugmentation(Augmentation.forJob(requested.augmentation(), examples));
    if (spec.targetModel().equals(spec.baseModel())) {
      throw ServingException.invalid("the target model must differ from the base model");
    }
    checkTargetLabels(spec.targetModel(), examples.classNames());
    Job job =
        new Job(
            UUID.randomUUID().toString(),
            spec,
            examples.classNames(),
            examples.count(),
            fingerprint(examples),
            clock.instant());
    forgetOldJobs();
    jobs.put(job.id(), job);
    job.subscribe(snapshot -> board.post(job.id(), JobDocument.of(snapshot, board.nodeId())));
    unfinished.incrementAndGet();
    offerCapacity();
    try {
      pool.execute(
          () -> {
            try {
              run(job, data);
            } finally {
              data.close();
              unfinished.decrementAndGet();
              offerCapacity();
            }
          });
    } catch (RejectedExecutionException e) {
      unfinished.decrementAndGet();
      offerCapacity();
      jobs.remove(job.id());
      throw ServingException.overloaded("too many fine-tuning jobs are queued; retry later");
    }
    return job;
  }

  /**
   * Keeps at most {@link #KEPT_JOBS} jobs in memory: the oldest finished ones go first (their
   * documents stay on the cluster's board for a week).
   */
  private void forgetOldJobs() {
    int excess = jobs.size() - KEPT_JOBS + 1;
    if (excess <= 0) {
      return;
    }
    jobs.values().stream()
        .map(Job::snapshot)
        .filter(snapshot -> snapshot.state().isFinal())
        .sorted(Comparator.comparing(Job.Snapshot::createdAt))
        .limit(excess)
        .forEach(snapshot -> jobs.remove(snapshot.id()));
  }

  /** Jobs this node could start at once: training threads not taken by running or queued jobs. */
  public int freeSlots() {
    return Math.max(0, concurrentJobs - unfinished.get());
  }

  private void offerCapacity() {
    board.offerCapacity(freeSlots());
  }

  public Optional<Job> get(String id) {
    return Optional.ofNullable(jobs.get(id));
  }

  /** Asks a job to stop; a running job stops at its next training step. */
  public Job cancel(String id) {
    Job job = jobs.get(id);
    if (job == null) {
      throw ServingException.notFound("no job " + id);
    }
    job.requestCancel(clock.instant());
    return job;
  }

  private void checkTargetLabels(String target, List<String> classNames) {
    try {
      Optional<ModelSource> existing = repository.scan(target);
      if (existing.isPresent()
          && !existing.get().settings().labels().isEmpty()
          && !classNames.containsAll(existing.get().settings().labels())) {
        throw ServingException.invalid(
            "model "
                + target
                + " already classifies "
                + existing.get().settings().labels()
                + "; a new version may add classes but not drop any, so publish these classes "
                + classNames
                + " under another target_model");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs a job once its target model is free: one job at a time trains a model, cluster-wide. */
  private void run(Job job, JobData data) {
    String target = job.spec().targetModel();
    try {
      while (!board.tryClaimTarget(target, 1000)) {
        if (job.cancelRequested()) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      job.fail("interrupted", clock.instant());
      return;
    }
    try {
      train(job, data);
    } finally {
      board.releaseTarget(target);
    }
  }

  private void train(Job job, JobData data) {
    if (job.cancelRequested()) {
      return;
    }
    LabelledExamples examples = data.training();
    JobSpec spec = job.spec();
    Path staging = null;
    try {
      ServedVersion base =
          models.acquire(
              spec.baseModel(),
              spec.baseVersion() == null
                  ? OptionalLong.empty()
                  : OptionalLong.of(spec.baseVersion()));
      long baseVersion = base.version();
      ModelSettings baseSettings = base.settings();
      ModelSettings.FeatureSource features = baseSettings.featureSource();
      SignatureSpec featureSignature = base.signatures().get(features.signature());
      String earlierOutput =
          features.earlierOutputAmong(
              featureSignature == null ? Set.of() : featureSignature.outputs().keySet());
      base.release();
      job.start(clock.instant(), baseVersion);
      Path baseDirectory =
          repository.root().resolve(spec.baseModel()).resolve(Long.toString(baseVersion));
      staging = repository.stagingDirectory(spec.targetModel(), job.id());
      TrainingRequest request =
          new TrainingRequest(
              baseDirectory,
              features.layers(),
              features.output(),
              earlierOutput,
              spec.strategy(),
              examples,
              spec.hyperparameters(),
              staging,
              headOnly ? new TrainingRequest.HeadReference(spec.baseModel(), baseVersion) : null,
              data.validation(),
              data.test(),
              spec.augmentation());
      TrainingResult result = trainer.train(request, progressOf(job));
      if (job.cancelRequested()) {
        throw new TrainingCancelledException();
      }
      // A candidate is judged against what clients get now, on the examples it was judged on.
      Promotion promotion =
          spec.publishAs().equals(VersionLabels.STABLE) ? null : judge(spec, request, result);
      Map<String, Object> origins = new LinkedHashMap<>(examples.images().origin());
      origins.putAll(data.heldOutOrigins());
      RolloutPolicy policy = rollouts.policy(spec.targetModel()).orElse(RolloutPolicy.DEFAULT);
      boolean trial =
          promotion != null
              && promotion.promoted()
              && promotion.stableVersion() > 0
              && policy.mode() != RolloutPolicy.Mode.NONE;
      if (trial) {
        promotion = promotion.inTrial(spec.targetModel(), policy);
      }
      writeLineage(staging, job, baseVersion, result, origins, promotion);
      long version =
          registry.publish(
              spec.targetModel(),
              staging,
              targetSettings(baseSettings, examples),
              spec.publishAs());
      staging = null;
      if (trial) {
        models.load(spec.targetModel()).get(5, TimeUnit.MINUTES);
        rollouts.start(
            Trial.start(
                spec.targetModel(), version, promotion.stableVersion(), policy, clock.millis()),
            "kept as a candidate: superseded by version " + version);
      } else if (promotion != null && promotion.promoted()) {
        models.labels().set(spec.targetModel(), VersionLabels.STABLE, version);
      }
      models.load(spec.targetModel()).get(5, TimeUnit.MINUTES);
      job.succeed(version, result, promotion, clock.instant());
      LOG.info(
          () -> "job " + job.id() + " published " + spec.targetModel() + " version " + version);
    } catch (TrainingCancelledException e) {
      job.cancelled(clock.instant());
    } catch (ServingException e) {
      job.fail(e.getMessage(), clock.instant());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      job.fail("interrupted", clock.instant());
    } catch (Exception e) {
      LOG.log(Level.WARNING, "job " + job.id() + " failed", e);
      job.fail(
          e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), clock.instant());
    } finally {
      if (staging != null) {
        deleteTree(staging);
      }
    }
  }

  /**
   * The promotion gate's accuracy check: on the validation examples and, where the job has them
   * (its own or the model's evaluation dataset), the test examples.
   */
  private Promotion judge(JobSpec spec, TrainingRequest request, TrainingResult result)
      throws InterruptedException {
    List<StableComparison.HeldOut> sets = new ArrayList<>();
    sets.add(
        new StableComparison.HeldOut(
            "validation", result.validationAccuracy(), request.split().validation()));
    Evaluation test = result.evaluation("test");
    if (test != null && request.test() != null) {
      sets.add(new StableComparison.HeldOut("test", test.accuracy(), request.test()));
    }
    return StableComparison.judge(models, spec.targetModel(), sets);
  }

  private TrainingProgress progressOf(Job job) {
    return new TrainingProgress() {
      @Override
      public void phase(Phase phase) {
        job.phase(phase, clock.instant());
      }

      @Override
      public void decided(StrategyDecision decision) {
        job.decided(decision);
      }

      @Override
      public void epoch(EpochMetrics metrics, double fractionDone) {
        job.epoch(metrics, fractionDone);
      }

      @Override
      public boolean cancelled() {
        return job.cancelRequested();
      }

      @Override
      public void stepDone(long nanos) {
        if (inferenceYield > 0 && inferenceBusy.getAsBoolean()) {
          try {
            TimeUnit.NANOSECONDS.sleep((long) (nanos * inferenceYield));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    };
  }

  /** Records where the version comes from, next to its SavedModel. */
  private void writeLineage(
      Path staged,
      Job job,
      long baseVersion,
      TrainingResult result,
      Map<String, Object> origin,
      Promotion promotion)
      throws IOException {
    Job.Snapshot snapshot = job.snapshot();
    Hyperparameters hp = snapshot.spec().hyperparameters();
    Map<String, Object> hyperparameters = new LinkedHashMap<>();
    hyperparameters.put("epochs", hp.epochs());
    hyperparameters.put("batch_size", hp.batchSize());
    hyperparameters.put("learning_rate", hp.learningRate());
    hyperparameters.put("base_learning_rate", hp.baseLearningRate());
    hyperparameters.put("frozen_blocks", hp.frozenBlocks());
    hyperparameters.put("head_epochs", hp.headEpochs());
    hyperparameters.put("l2", hp.l2());
    hyperparameters.put("validation_fraction", hp.validationFraction());
    hyperparameters.put("patience", hp.patience());
    hyperparameters.put("seed", hp.seed());
    hyperparameters.put("classifier", hp.classifier().apiName());
    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("epochs_run", result.epochsRun());
    metrics.put("train_accuracy", result.trainAccuracy());
    if (!Double.isNaN(result.validationAccuracy())) {
      metrics.put("validation_accuracy", result.validationAccuracy());
    }
    Map<String, Object> lineage = new LinkedHashMap<>();
    lineage.put("base_model", snapshot.spec().baseModel());
    lineage.put("base_version", Long.toString(baseVersion));
    StrategyDecision decision = snapshot.decision();
    lineage.put(
        "strategy",
        decision == null ? snapshot.spec().strategy().apiName() : decision.chosen().apiName());
    if (decision != null) {
      Map<String, Object> chosen = new LinkedHashMap<>();
      chosen.put("requested", snapshot.spec().strategy().apiName());
      chosen.put("examples_per_class", decision.examplesPerClass());
      chosen.put("top_probe_accuracy", decision.topProbeAccuracy());
      if (!Double.isNaN(decision.earlierProbeAccuracy())) {
        chosen.put("earlier_probe_accuracy", decision.earlierProbeAccuracy());
      }
      if (!Double.isNaN(decision.fineTuneTrialAccuracy())) {
        chosen.put("fine_tune_trial_accuracy", decision.fineTuneTrialAccuracy());
      }
      chosen.put("reason", decision.reason());
      lineage.put("decision", chosen);
    }
    lineage.put("hyperparameters", hyperparameters);
    lineage.put("augmentation", snapshot.spec().augmentation().toMap());
    lineage.put("classes", snapshot.classNames());
    lineage.put("examples", snapshot.examples());
    lineage.put("data_sha256", snapshot.dataFingerprint());
    lineage.putAll(origin);
    lineage.put("metrics", metrics);
    if (!result.evaluations().isEmpty()) {
      lineage.put("evaluations", result.evaluations().stream().map(Evaluation::toMap).toList());
    }
    lineage.put("published_as", snapshot.spec().publishAs());
    if (promotion != null) {
      lineage.put("promotion", promotion.toMap());
    }
    lineage.put("job", snapshot.id());
    lineage.put("created_at", clock.instant().toString());
    JSON.writeValue(staged.resolve(ModelSource.LINEAGE_FILE).toFile(), lineage);
  }

  /**
   * The new model's settings: the base's image preprocessing at the size it was trained at, its
   * features, the new labels.
   */
  private static ModelSettings targetSettings(ModelSettings base, LabelledExamples examples) {
    ModelSettings.ImageInput image = base.image();
    long[] row = examples.images().rowShape();
    boolean images = row.length == 3;
    ModelSettings.ImageInput retargeted =
        image == null
            ? null
            : new ModelSettings.ImageInput(
                "serving_default",
                image.input(),
                "probabilities",
                images ? (int) row[0] : image.height(),
                images ? (int) row[1] : image.width(),
                image.channels(),
                image.scale(),
                image.offset());
    return new ModelSettings(
        null,
        base.batching(),
        examples.classNames(),
        retargeted,
        base.features(),
        base.inputShapeCheck());
  }

  /** sha256 of the images and labels, so a result can be traced to the data it was trained on. */
  static String fingerprint(LabelledExamples examples) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      examples.images().digest(digest);
      for (int label : examples.labels()) {
        digest.update(
            examples.classNames().get(label).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        digest.update((byte) 0);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteTree(Path root) {
    try {
      DirectoryTrees.delete(root);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot remove " + root, e);
    }
  }

  @Override
  public void close() {
    jobs.values().forEach(job -> job.requestCancel(clock.instant()));
    pool.shutdown();
    try {
      pool.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
