package io.tuneserve.training;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** One fine-tuning job: what it was asked, where it is, and what it produced. Thread-safe. */
public final class Job {
  private final String id;
  private final JobSpec spec;
  private final List<String> classNames;
  private final int examples;
  private final String dataFingerprint;
  private final Instant createdAt;
  private JobState state = JobState.QUEUED;
  private Phase phase;
  private final Map<Phase, Instant> phaseStartedAt = new EnumMap<>(Phase.class);
  private Instant startedAt;
  private Instant finishedAt;
  private double progress;
  private final List<EpochMetrics> epochs = new ArrayList<>();
  private String error;
  private long baseVersion;
  private long publishedVersion;
  private TrainingResult result;
  private Promotion promotion;
  private StrategyDecision decision;
  private final List<Consumer<Snapshot>> listeners = new CopyOnWriteArrayList<>();

  Job(
      String id,
      JobSpec spec,
      List<String> classNames,
      int examples,
      String dataFingerprint,
      Instant createdAt) {
    this.id = id;
    this.spec = spec;
    this.classNames = List.copyOf(classNames);
    this.examples = examples;
    this.dataFingerprint = dataFingerprint;
    this.createdAt = createdAt;
  }

  /** A consistent copy of the job's state. */
  public record Snapshot(
      String id,
      JobSpec spec,
      List<String> classNames,
      int examples,
      String dataFingerprint,
      JobState state,
      Phase phase,
      Map<Phase, Instant> phaseStartedAt,
      Instant createdAt,
      Instant startedAt,
      Instant finishedAt,
      double progress,
      List<EpochMetrics> epochs,
      String error,
      long baseVersion,
      long publishedVersion,
      TrainingResult result,
      StrategyDecision decision,
      Promotion promotion) {}

  public String id() {
    return id;
  }

  public JobSpec spec() {
    return spec;
  }

  /**
   * Calls {@code listener} with a snapshot after every change (phase, epoch, final state), on the
   * thread that made it; at once with the current snapshot. Returns what removes it.
   */
  public Runnable subscribe(Consumer<Snapshot> listener) {
    listeners.add(listener);
    listener.accept(snapshot());
    return () -> listeners.remove(listener);
  }

  /** Applies a change under the lock, then tells the listeners. */
  private void update(Runnable change) {
    synchronized (this) {
      change.run();
    }
    changed();
  }

  private void changed() {
    if (listeners.isEmpty()) {
      return;
    }
    Snapshot now = snapshot();
    listeners.forEach(listener -> listener.accept(now));
  }

  public synchronized Snapshot snapshot() {
    return new Snapshot(
        id,
        spec,
        classNames,
        examples,
        dataFingerprint,
        state,
        phase,
        Map.copyOf(phaseStartedAt),
        createdAt,
        startedAt,
        finishedAt,
        progress,
        List.copyOf(epochs),
        error,
        baseVersion,
        publishedVersion,
        result,
        decision,
        promotion);
  }

  synchronized JobState state() {
    return state;
  }

  void start(Instant now, long base) {
    update(
        () -> {
          state = JobState.RUNNING;
          startedAt = now;
          baseVersion = base;
        });
  }

  void phase(Phase next, Instant now) {
    update(
        () -> {
          phase = next;
          phaseStartedAt.put(next, now);
        });
  }

  void epoch(EpochMetrics metrics, double fractionDone) {
    update(
        () -> {
          epochs.add(metrics);
          progress = fractionDone;
        });
  }

  /** Asks the job to stop; true when it was still queued or running. */
  boolean requestCancel(Instant now) {
    boolean asked;
    synchronized (this) {
      asked = requestCancelLocked(now);
    }
    changed();
    return asked;
  }

  private boolean requestCancelLocked(Instant now) {
    if (state == JobState.QUEUED) {
      state = JobState.CANCELLED;
      finishedAt = now;
      return true;
    }
    if (state == JobState.RUNNING) {
      state = JobState.CANCELLING;
      return true;
    }
    return false;
  }

  synchronized boolean cancelRequested() {
    return state == JobState.CANCELLING || state == JobState.CANCELLED;
  }

  void succeed(long version, TrainingResult trained, Promotion decided, Instant now) {
    update(
        () -> {
          state = JobState.SUCCEEDED;
          publishedVersion = version;
          result = trained;
          promotion = decided;
          progress = 1;
          finishedAt = now;
        });
  }

  void fail(String reason, Instant now) {
    update(
        () -> {
          state = JobState.FAILED;
          error = reason;
          finishedAt = now;
        });
  }

  void decided(StrategyDecision chosen) {
    synchronized (this) {
      decision = chosen;
    }
    changed();
  }

  void cancelled(Instant now) {
    update(
        () -> {
          state = JobState.CANCELLED;
          finishedAt = now;
        });
  }
}
