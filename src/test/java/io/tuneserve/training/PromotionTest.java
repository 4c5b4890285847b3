package io.tuneserve.training;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromotionTest {
  @Test
  void aCandidateAtLeastAsGoodAsStableIsPromoted() {
    Promotion better = Promotion.decide(3, 0.91, 0.90, 120);
    assertThat(better.promoted()).isTrue();
    assertThat(better.reason())
        .contains("0.9100 against stable version 3's 0.9000")
        .contains("120");
    assertThat(Promotion.decide(3, 0.90, 0.90, 120).promoted()).as("a tie").isTrue();
  }

  @Test
  void aWorseCandidateStaysACandidateWithTheFigures() {
    Promotion worse = Promotion.decide(3, 0.89, 0.90, 120);
    assertThat(worse.promoted()).isFalse();
    assertThat(worse.reason()).startsWith("kept as a candidate").contains("0.8900");
    assertThat(worse.toMap()).containsEntry("stable_version", "3").containsEntry("promoted", false);
  }

  @Test
  void withoutHeldOutDataNothingIsPromotedButAFirstVersionIs() {
    Promotion blind = Promotion.decide(2, Double.NaN, Double.NaN, 0);
    assertThat(blind.promoted()).isFalse();
    assertThat(blind.reason()).contains("no held-out examples");
    assertThat(blind.toMap()).containsEntry("candidate_accuracy", null);
    assertThat(Promotion.decide(0, 0.5, Double.NaN, 10).promoted()).isTrue();
  }
}
