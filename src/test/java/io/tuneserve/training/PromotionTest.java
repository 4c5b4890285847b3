package io.tuneserve.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PromotionTest {
  private static List<Promotion.Check> validation(double candidate, double stable, int examples) {
    return List.of(new Promotion.Check("validation", candidate, stable, examples));
  }

  @Test
  void aCandidateAtLeastAsGoodAsStableIsPromoted() {
    Promotion better = Promotion.decide(3, validation(0.91, 0.90, 120));
    assertThat(better.promoted()).isTrue();
    assertThat(better.reason())
        .contains("0.9100 against stable version 3's 0.9000")
        .contains("120 validation examples");
    assertThat(Promotion.decide(3, validation(0.90, 0.90, 120)).promoted()).as("a tie").isTrue();
  }

  @Test
  void aWorseCandidateStaysACandidateWithTheFigures() {
    Promotion worse = Promotion.decide(3, validation(0.89, 0.90, 120));
    assertThat(worse.promoted()).isFalse();
    assertThat(worse.reason()).startsWith("kept as a candidate").contains("0.8900");
    assertThat(worse.toMap()).containsEntry("stable_version", "3").containsEntry("promoted", false);
  }

  @Test
  void everyHeldOutSetMustPass() {
    Promotion mixed =
        Promotion.decide(
            3,
            List.of(
                new Promotion.Check("validation", 0.95, 0.90, 60),
                new Promotion.Check("test", 0.80, 0.85, 200)));
    assertThat(mixed.promoted()).isFalse();
    assertThat(mixed.reason())
        .contains("0.8000 against stable version 3's 0.8500 on the same 200 test");
    Promotion onTestAlone =
        Promotion.decide(
            3,
            List.of(
                new Promotion.Check("validation", Double.NaN, Double.NaN, 0),
                new Promotion.Check("test", 0.86, 0.85, 200)));
    assertThat(onTestAlone.promoted()).as("a set that was not measured is left out").isTrue();
  }

  @Test
  void withoutHeldOutDataNothingIsPromotedButAFirstVersionIs() {
    Promotion blind = Promotion.decide(2, validation(Double.NaN, Double.NaN, 0));
    assertThat(blind.promoted()).isFalse();
    assertThat(blind.reason()).contains("no held-out examples");
    assertThat(blind.toMap()).containsEntry("candidate_accuracy", null);
    assertThat(Promotion.decide(0, validation(0.5, Double.NaN, 10)).promoted()).isTrue();
  }
}
