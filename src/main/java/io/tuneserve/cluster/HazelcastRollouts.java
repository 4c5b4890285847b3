package io.tuneserve.cluster;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.tuneserve.rollout.RolloutPolicy;
import io.tuneserve.rollout.Rollouts;
import io.tuneserve.rollout.Trial;
import io.tuneserve.rollout.TrialReport;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Rollout settings and trials as documents per model, mirrored on every node; what each node saw of
 * a trial's traffic in a plain map, read only when the trial is judged.
 */
final class HazelcastRollouts implements Rollouts {
  /** A model's trials, the newest first. */
  record ModelTrials(@JsonProperty("trials") List<Trial> trials) {}

  private final MirroredMap<RolloutPolicy> policies;
  private final MirroredMap<ModelTrials> trials;
  private final IMap<String, String> reports;

  HazelcastRollouts(HazelcastInstance hazelcast) {
    this.policies = new MirroredMap<>(hazelcast, "tuneserve.rollout-policies", RolloutPolicy.class);
    this.trials = new MirroredMap<>(hazelcast, "tuneserve.rollout-trials", ModelTrials.class);
    this.reports = hazelcast.getMap("tuneserve.rollout-reports");
  }

  @Override
  public Optional<RolloutPolicy> policy(String model) {
    return policies.get(model);
  }

  @Override
  public void setPolicy(String model, RolloutPolicy policy) {
    policies.put(model, policy);
  }

  @Override
  public boolean removePolicy(String model) {
    return policies.remove(model).isPresent();
  }

  @Override
  public Optional<Trial> running(String model) {
    return trials
        .get(model)
        .flatMap(t -> t.trials().isEmpty() ? Optional.empty() : Optional.of(t.trials().get(0)))
        .filter(Trial::running);
  }

  @Override
  public List<Trial> running() {
    List<Trial> running = new ArrayList<>();
    for (String model : trials.all().keySet()) {
      running(model).ifPresent(running::add);
    }
    return running;
  }

  @Override
  public List<Trial> trials(String model) {
    return trials.get(model).map(ModelTrials::trials).orElse(List.of());
  }

  @Override
  public void start(Trial trial, String supersededReason) {
    trials.update(
        trial.model(),
        before -> {
          List<Trial> after = new ArrayList<>();
          after.add(trial);
          if (before != null) {
            for (Trial earlier : before.trials()) {
              after.add(earlier.running() ? earlier.superseded(supersededReason) : earlier);
            }
          }
          return new ModelTrials(
              List.copyOf(after.subList(0, Math.min(after.size(), KEPT_TRIALS))));
        });
  }

  @Override
  public Optional<Trial> decide(String model, long candidate, UnaryOperator<Trial> decision) {
    AtomicReference<Trial> now = new AtomicReference<>();
    AtomicBoolean changed = new AtomicBoolean();
    trials.update(
        model,
        before -> {
          if (before == null || before.trials().isEmpty()) {
            return before;
          }
          Trial latest = before.trials().get(0);
          if (!latest.running() || latest.candidate() != candidate) {
            return before;
          }
          Trial decided = decision.apply(latest);
          now.set(decided);
          if (decided == latest) {
            return before;
          }
          changed.set(true);
          List<Trial> after = new ArrayList<>(before.trials());
          after.set(0, decided);
          return new ModelTrials(List.copyOf(after));
        });
    if (!changed.get()) {
      return Optional.empty();
    }
    if (!now.get().running()) {
      String prefix = now.get().key() + "/";
      for (String key : reports.keySet()) {
        if (key.startsWith(prefix)) {
          reports.delete(key);
        }
      }
    }
    return Optional.ofNullable(now.get());
  }

  @Override
  public void report(Trial trial, String node, TrialReport report) {
    try {
      reports.set(trial.key() + "/" + node, MirroredMap.json().writeValueAsString(report));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public TrialReport reported(Trial trial) {
    TrialReport total = TrialReport.NONE;
    String prefix = trial.key() + "/";
    for (Map.Entry<String, String> entry : reports.entrySet()) {
      if (entry.getKey().startsWith(prefix)) {
        try {
          total = total.plus(MirroredMap.json().readValue(entry.getValue(), TrialReport.class));
        } catch (JsonProcessingException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return total;
  }

  @Override
  public void onChange(Consumer<String> listener) {
    trials.onChange(listener);
  }
}
