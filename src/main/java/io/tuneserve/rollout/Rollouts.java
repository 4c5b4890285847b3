package io.tuneserve.rollout;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The cluster's rollout settings and trials, the same on every node; reads of settings and running
 * trials are served from this node.
 */
public interface Rollouts {
  /** How many decided trials a model keeps, newest first. */
  int KEPT_TRIALS = 20;

  /** A model's rollout settings, if it has any. */
  Optional<RolloutPolicy> policy(String model);

  void setPolicy(String model, RolloutPolicy policy);

  /** False when the model had no settings. */
  boolean removePolicy(String model);

  /** The model's running trial, if any: read on every unlabelled request. */
  Optional<Trial> running(String model);

  /** Every running trial of every model. */
  List<Trial> running();

  /** A model's trials, the newest first. */
  List<Trial> trials(String model);

  /**
   * Starts a trial; a running one of the same model ends, its candidate kept with {@code
   * supersededReason}.
   */
  void start(Trial trial, String supersededReason);

  /**
   * Replaces a running trial with what {@code decision} makes of it, under the model's cluster-wide
   * lock; the decided trial when this call decided it, empty when it was no longer running.
   */
  Optional<Trial> decide(String model, long candidate, UnaryOperator<Trial> decision);

  /** Stores what a trial's traffic did on one node. */
  void report(Trial trial, String node, TrialReport report);

  /** What a trial's traffic did on every node that reported, added up. */
  TrialReport reported(Trial trial);

  /** Calls {@code listener} with the model's name when its trials change, on any node. */
  void onChange(Consumer<String> listener);
}
