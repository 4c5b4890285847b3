package io.tuneserve.rollout;

import io.micrometer.core.instrument.Counter;
import io.tuneserve.metrics.ServingMetrics;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * This node's side of the running trials: which version an unlabelled request goes to, and what the
 * requests of each trial did here, in {@code /metrics} and for the trial's judgement.
 */
public final class TrialTraffic {
  /** What a version does for a request in a trial. */
  public enum Role {
    /** The stable version answering, as it would without a trial. */
    STABLE,
    /** The candidate answering its share of requests. */
    CANARY,
    /** The candidate running on a copy of a request stable answers. */
    SHADOW;

    String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Rollouts rollouts;
  private final ServingMetrics metrics;
  private final ConcurrentHashMap<String, Tally> tallies = new ConcurrentHashMap<>();

  public TrialTraffic(Rollouts rollouts, ServingMetrics metrics) {
    this.rollouts = rollouts;
    this.metrics = metrics;
  }

  /** The running trial of a model whose unlabelled requests it takes part in. */
  public Optional<Trial> running(String model) {
    return rollouts.running(model);
  }

  /** Whether this request goes to the candidate: its canary share, at random. */
  public static boolean toCanary(Trial trial) {
    return trial.policy().mode() == RolloutPolicy.Mode.CANARY
        && ThreadLocalRandom.current().nextDouble(100) < trial.policy().canaryPercent();
  }

  /** One request of a trial, answered ({@code ok}) or failed by the server or model. */
  public void record(Trial trial, Role role, boolean ok, long nanos) {
    Tally tally = tally(trial);
    Side side = role == Role.STABLE ? tally.stable : tally.candidate(role);
    side.requests.increment();
    if (!ok) {
      side.errors.increment();
      side.meters.errors().increment();
    } else {
      side.meters.ok().increment();
    }
    side.meters.latency().record(nanos, TimeUnit.NANOSECONDS);
    side.latencyMicros.recordValue(
        Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMicros(nanos), 3_600_000_000L)));
  }

  /** A shadow's answer compared with stable's. */
  public void compared(Trial trial, boolean agreed) {
    Tally tally = tally(trial);
    tally.compared.increment();
    if (agreed) {
      tally.agreed.increment();
      tally.comparisons[0].increment();
    } else {
      tally.comparisons[1].increment();
    }
  }

  /** What this node saw of a trial; none when it took no part. */
  public TrialReport report(Trial trial) {
    Tally tally = tallies.get(trial.key());
    if (tally == null) {
      return TrialReport.NONE;
    }
    Side candidate = tally.candidate == null ? null : tally.candidate;
    return new TrialReport(
        tally.stable.figures(),
        candidate == null ? TrafficFigures.NONE : candidate.figures(),
        tally.compared.sum(),
        tally.agreed.sum());
  }

  /** Whether this node took part in a trial. */
  public boolean tookPart(Trial trial) {
    return tallies.containsKey(trial.key());
  }

  /** Forgets the tallies of every trial but these. */
  public void retain(Set<String> runningKeys) {
    tallies.keySet().retainAll(runningKeys);
  }

  private Tally tally(Trial trial) {
    return tallies.computeIfAbsent(trial.key(), key -> new Tally(trial));
  }

  private final class Side {
    final LongAdder requests = new LongAdder();
    final LongAdder errors = new LongAdder();
    final Histogram latencyMicros = new ConcurrentHistogram(1, 3_600_000_000L, 3);
    final ServingMetrics.RolloutMeters meters;

    Side(Trial trial, long version, Role role) {
      this.meters = metrics.rollout(trial.model(), version, role.tag());
    }

    TrafficFigures figures() {
      return TrafficFigures.of(requests.sum(), errors.sum(), latencyMicros.copy());
    }
  }

  private final class Tally {
    final Trial trial;
    final Side stable;
    volatile Side candidate;
    final LongAdder compared = new LongAdder();
    final LongAdder agreed = new LongAdder();
    final Counter[] comparisons;

    Tally(Trial trial) {
      this.trial = trial;
      this.stable = new Side(trial, trial.stable(), Role.STABLE);
      this.comparisons =
          metrics.shadowComparisons(
              trial.model(),
              trial.candidate(),
              () -> {
                long n = compared.sum();
                return n == 0 ? Double.NaN : agreed.sum() / (double) n;
              });
    }

    synchronized Side candidate(Role role) {
      if (candidate == null) {
        candidate = new Side(trial, trial.candidate(), role);
      }
      return candidate;
    }
  }
}
