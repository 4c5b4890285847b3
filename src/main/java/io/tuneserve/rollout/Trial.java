package io.tuneserve.rollout;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A candidate version meeting real traffic beside the stable one, from the moment it passed the
 * accuracy check until it is promoted or kept as a candidate.
 *
 * @param policy the model's rollout settings when the trial started
 * @param report the figures it was decided on, once decided
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Trial(
    @JsonProperty("model") String model,
    @JsonProperty("candidate") long candidate,
    @JsonProperty("stable") long stable,
    @JsonProperty("policy") RolloutPolicy policy,
    @JsonProperty("started_at") long startedAtMillis,
    @JsonProperty("state") State state,
    @JsonProperty("reason") String reason,
    @JsonProperty("report") TrialReport report,
    @JsonProperty("decided_at") Long decidedAtMillis) {

  public enum State {
    @JsonProperty("running")
    RUNNING,
    @JsonProperty("promoted")
    PROMOTED,
    @JsonProperty("kept")
    KEPT
  }

  public static Trial start(
      String model, long candidate, long stable, RolloutPolicy policy, long nowMillis) {
    return new Trial(
        model,
        candidate,
        stable,
        policy,
        nowMillis,
        State.RUNNING,
        "in " + policy.mode().apiName() + " trial",
        null,
        null);
  }

  /** The key of a trial among a model's trials. */
  public static String key(String model, long candidate) {
    return model + "/" + candidate;
  }

  @JsonIgnore
  public String key() {
    return key(model, candidate);
  }

  @JsonIgnore
  public boolean running() {
    return state == State.RUNNING;
  }

  /** When the trial may be judged at the earliest. */
  @JsonIgnore
  public long endsAtMillis() {
    return startedAtMillis + (long) (policy.trialSeconds() * 1000);
  }

  /** When a trial still short of requests keeps its candidate. */
  @JsonIgnore
  public long givesUpAtMillis() {
    return startedAtMillis + (long) (policy.trialSeconds() * 10_000);
  }

  /** This trial ended by a newer candidate's, its candidate kept. */
  public Trial superseded(String why) {
    return decided(State.KEPT, why, null, System.currentTimeMillis());
  }

  Trial decided(State outcome, String why, TrialReport figures, long nowMillis) {
    return new Trial(
        model, candidate, stable, policy, startedAtMillis, outcome, why, figures, nowMillis);
  }

  /** The trial as the API and lineage show it. */
  public Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("candidate_version", Long.toString(candidate));
    map.put("stable_version", Long.toString(stable));
    map.put("mode", policy.mode().apiName());
    if (policy.mode() == RolloutPolicy.Mode.CANARY) {
      map.put("canary_percent", policy.canaryPercent());
    }
    map.put("state", state.name().toLowerCase(java.util.Locale.ROOT));
    map.put("reason", reason);
    map.put("started_at", Instant.ofEpochMilli(startedAtMillis).toString());
    map.put("ends_at", Instant.ofEpochMilli(endsAtMillis()).toString());
    if (decidedAtMillis != null) {
      map.put("decided_at", Instant.ofEpochMilli(decidedAtMillis).toString());
    }
    if (report != null) {
      map.put("stable", figures(report.stable()));
      map.put("candidate", figures(report.candidate()));
      if (policy.mode() == RolloutPolicy.Mode.SHADOW) {
        map.put("compared", report.compared());
        map.put("agreement", report.agreement());
      }
    }
    return map;
  }

  private static Map<String, Object> figures(TrafficFigures figures) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("requests", figures.requests());
    map.put("errors", figures.errors());
    map.put("error_rate", figures.errorRate());
    map.put("p99_ms", figures.p99Millis());
    return map;
  }
}
