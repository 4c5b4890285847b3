package io.tuneserve.rollout;

import java.util.Locale;
import java.util.Optional;

/** Decides a trial from its figures: the candidate must be no worse than stable under traffic. */
public final class TrialJudge {
  private TrialJudge() {}

  /** The decided trial, or empty while it must go on. */
  public static Optional<Trial> judge(Trial trial, TrialReport report, long nowMillis) {
    if (!trial.running() || nowMillis < trial.endsAtMillis()) {
      return Optional.empty();
    }
    RolloutPolicy policy = trial.policy();
    TrafficFigures stable = report.stable();
    TrafficFigures candidate = report.candidate();
    if (candidate.requests() < policy.minTrialRequests()) {
      if (nowMillis < trial.givesUpAtMillis()) {
        return Optional.empty();
      }
      return Optional.of(
          kept(
              trial,
              report,
              nowMillis,
              "only "
                  + candidate.requests()
                  + " requests reached the candidate in the trial; min_trial_requests is "
                  + policy.minTrialRequests()));
    }
    String figures =
        String.format(
            Locale.ROOT,
            "error rate %.4f against stable's %.4f, p99 %.2f ms against %.2f ms over %d and %d"
                + " requests",
            candidate.errorRate(),
            stable.errorRate(),
            candidate.p99Millis(),
            stable.p99Millis(),
            candidate.requests(),
            stable.requests());
    if (candidate.errorRate() > stable.errorRate() + policy.errorRateTolerance()) {
      return Optional.of(kept(trial, report, nowMillis, "more errors than stable: " + figures));
    }
    if (stable.requests() > 0
        && candidate.p99Millis() > stable.p99Millis() * (1 + policy.p99Tolerance())) {
      return Optional.of(kept(trial, report, nowMillis, "slower than stable: " + figures));
    }
    if (policy.mode() == RolloutPolicy.Mode.SHADOW && report.agreement() < policy.minAgreement()) {
      return Optional.of(
          kept(
              trial,
              report,
              nowMillis,
              String.format(
                  Locale.ROOT,
                  "agreed with stable on %.4f of %d requests; min_agreement is %.4f",
                  report.agreement(),
                  report.compared(),
                  policy.minAgreement())));
    }
    return Optional.of(
        trial.decided(
            Trial.State.PROMOTED,
            "promoted after its " + policy.mode().apiName() + " trial: " + figures,
            report,
            nowMillis));
  }

  private static Trial kept(Trial trial, TrialReport report, long now, String why) {
    return trial.decided(Trial.State.KEPT, "kept as a candidate: " + why, report, now);
  }
}
