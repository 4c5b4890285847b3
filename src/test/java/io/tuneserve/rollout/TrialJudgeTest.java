package io.tuneserve.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class TrialJudgeTest {
  private static final RolloutPolicy CANARY =
      new RolloutPolicy(RolloutPolicy.Mode.CANARY, 10, 60, 100, 0.25, 0.001, 0, null);
  private static final RolloutPolicy SHADOW =
      new RolloutPolicy(RolloutPolicy.Mode.SHADOW, 0, 60, 100, 0.25, 0.001, 0.9, null);

  /** {@code requests} requests, {@code errors} of them failed, all taking {@code millis}. */
  private static TrafficFigures traffic(long requests, long errors, double millis) {
    Histogram histogram = TrafficFigures.newHistogram();
    histogram.recordValueWithCount((long) (millis * 1000), Math.max(1, requests));
    return TrafficFigures.of(requests, errors, histogram);
  }

  private static Optional<Trial> judge(RolloutPolicy policy, TrialReport report, long atSeconds) {
    return TrialJudge.judge(Trial.start("m", 2, 1, policy, 0), report, atSeconds * 1000);
  }

  @Test
  void aCandidateNoWorseThanStableIsPromotedOnceTheTrialHasRun() {
    TrialReport fine = new TrialReport(traffic(900, 0, 10), traffic(100, 0, 11), 0, 0);
    assertThat(judge(CANARY, fine, 59)).as("before the period ends").isEmpty();
    Trial decided = judge(CANARY, fine, 60).orElseThrow();
    assertThat(decided.state()).isEqualTo(Trial.State.PROMOTED);
    assertThat(decided.reason()).contains("p99 11.").contains("100 and 900 requests");
  }

  @Test
  void moreErrorsOrAHigherP99KeepTheCandidate() {
    TrialReport errors = new TrialReport(traffic(900, 0, 10), traffic(100, 2, 10), 0, 0);
    Trial failing = judge(CANARY, errors, 60).orElseThrow();
    assertThat(failing.state()).isEqualTo(Trial.State.KEPT);
    assertThat(failing.reason()).contains("more errors than stable");
    TrialReport slow = new TrialReport(traffic(900, 0, 10), traffic(100, 0, 13), 0, 0);
    assertThat(judge(CANARY, slow, 60).orElseThrow().reason()).contains("slower than stable");
  }

  @Test
  void aTrialShortOfRequestsWaitsThenGivesUp() {
    TrialReport few = new TrialReport(traffic(900, 0, 10), traffic(40, 0, 10), 0, 0);
    assertThat(judge(CANARY, few, 300)).isEmpty();
    Trial gaveUp = judge(CANARY, few, 600).orElseThrow();
    assertThat(gaveUp.state()).isEqualTo(Trial.State.KEPT);
    assertThat(gaveUp.reason()).contains("only 40 requests");
  }

  @Test
  void aShadowMustAgreeWithStableOftenEnough() {
    TrialReport disagreeing = new TrialReport(traffic(500, 0, 10), traffic(500, 0, 10), 500, 400);
    Trial kept = judge(SHADOW, disagreeing, 60).orElseThrow();
    assertThat(kept.state()).isEqualTo(Trial.State.KEPT);
    assertThat(kept.reason()).contains("agreed with stable on 0.8000 of 500");
    TrialReport agreeing = new TrialReport(traffic(500, 0, 10), traffic(500, 0, 10), 500, 460);
    assertThat(judge(SHADOW, agreeing, 60).orElseThrow().state()).isEqualTo(Trial.State.PROMOTED);
  }

  @Test
  void figuresOfSeveralNodesAddUp() {
    TrafficFigures both = traffic(10, 1, 5).plus(traffic(30, 0, 50));
    assertThat(both.requests()).isEqualTo(40);
    assertThat(both.errorRate()).isEqualTo(0.025);
    assertThat(both.p99Millis()).isBetween(49.9, 50.1);
  }
}
