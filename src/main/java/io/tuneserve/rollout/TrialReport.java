package io.tuneserve.rollout;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What a trial's traffic did on some nodes: stable's requests, the candidate's (its canary share,
 * or its shadow runs) and, in shadow mode, how often the candidate answered as stable did.
 *
 * @param compared shadow runs whose answers were compared with stable's
 * @param agreed those that answered every row as stable did
 */
public record TrialReport(
    @JsonProperty("stable") TrafficFigures stable,
    @JsonProperty("candidate") TrafficFigures candidate,
    @JsonProperty("compared") long compared,
    @JsonProperty("agreed") long agreed) {

  public static final TrialReport NONE =
      new TrialReport(TrafficFigures.NONE, TrafficFigures.NONE, 0, 0);

  public TrialReport plus(TrialReport other) {
    return new TrialReport(
        stable.plus(other.stable),
        candidate.plus(other.candidate),
        compared + other.compared,
        agreed + other.agreed);
  }

  /** The share of compared answers that agreed; 1 when none were compared. */
  @JsonIgnore
  public double agreement() {
    return compared == 0 ? 1 : agreed / (double) compared;
  }
}
