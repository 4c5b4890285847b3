package io.tuneserve.rollout;

import io.tuneserve.serving.VersionLabels;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs on every node: reports what this node saw of each running trial, and decides trials that are
 * due (whichever node gets there first), moving {@code stable} to a candidate that passed. A trial
 * whose stable or candidate label was moved by hand ends, its candidate kept.
 */
public final class RolloutSupervisor implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(RolloutSupervisor.class.getName());

  private final Rollouts rollouts;
  private final TrialTraffic traffic;
  private final VersionLabels labels;
  private final String node;
  private final Clock clock;
  private final ScheduledExecutorService ticker =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread thread = new Thread(r, "tuneserve-rollouts");
            thread.setDaemon(true);
            return thread;
          });

  public RolloutSupervisor(
      Rollouts rollouts, TrialTraffic traffic, VersionLabels labels, String node, Clock clock) {
    this.rollouts = rollouts;
    this.traffic = traffic;
    this.labels = labels;
    this.node = node;
    this.clock = clock;
  }

  /** Reports and judges every {@code periodMillis}. */
  public void start(long periodMillis) {
    ticker.scheduleWithFixedDelay(
        this::tickSafely, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
  }

  private void tickSafely() {
    try {
      tick();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "rollout trials could not be reported or judged", e);
    }
  }

  /** One round: report, then judge what is due. */
  void tick() {
    List<Trial> running = rollouts.running();
    Set<String> keys = new HashSet<>();
    for (Trial trial : running) {
      keys.add(trial.key());
      if (traffic.tookPart(trial)) {
        rollouts.report(trial, node, traffic.report(trial));
      }
    }
    traffic.retain(keys);
    long now = clock.millis();
    for (Trial trial : running) {
      Optional<String> moved = labelsMoved(trial);
      if (moved.isPresent()) {
        decide(
            trial,
            t -> t.decided(Trial.State.KEPT, "kept as a candidate: " + moved.get(), null, now));
        continue;
      }
      if (now < trial.endsAtMillis()) {
        continue;
      }
      TrialReport report = rollouts.reported(trial);
      TrialJudge.judge(trial, report, now).ifPresent(decided -> decide(trial, t -> decided));
    }
  }

  private Optional<String> labelsMoved(Trial trial) {
    Long stable = labels.of(trial.model()).get(VersionLabels.STABLE);
    Long candidate = labels.of(trial.model()).get(VersionLabels.CANDIDATE);
    if (stable == null || stable != trial.stable()) {
      return Optional.of("the stable label was moved to " + stable + " during the trial");
    }
    if (candidate == null || candidate != trial.candidate()) {
      return Optional.of("the candidate label was moved to " + candidate + " during the trial");
    }
    return Optional.empty();
  }

  private void decide(Trial trial, java.util.function.UnaryOperator<Trial> decision) {
    rollouts
        .decide(trial.model(), trial.candidate(), decision)
        .ifPresent(
            decided -> {
              if (decided.state() == Trial.State.PROMOTED) {
                labels.set(trial.model(), VersionLabels.STABLE, trial.candidate());
              }
              LOG.info(
                  () ->
                      trial.model()
                          + " version "
                          + trial.candidate()
                          + " trial decided: "
                          + decided.reason());
            });
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
