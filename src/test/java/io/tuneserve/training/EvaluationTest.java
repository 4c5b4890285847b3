package io.tuneserve.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvaluationTest {
  private static final List<String> CLASSES = List.of("cat", "dog", "fox");

  @Test
  void figuresFollowFromTheConfusionMatrix() {
    // cat: 3 right, 1 taken for a dog; dog: 2 right, 2 taken for cats; no fox at all, and none
    // predicted.
    int[] truth = {0, 0, 0, 0, 1, 1, 1, 1};
    int[] predicted = {0, 0, 0, 1, 1, 1, 0, 0};
    Evaluation e = Evaluation.of("validation", CLASSES, truth, predicted);
    assertThat(e.confusion()).isDeepEqualTo(new int[][] {{3, 1, 0}, {2, 2, 0}, {0, 0, 0}});
    assertThat(e.examples()).isEqualTo(8);
    assertThat(e.accuracy()).isEqualTo(5 / 8.0);
    assertThat(e.precision(0)).isEqualTo(3 / 5.0);
    assertThat(e.recall(0)).isEqualTo(3 / 4.0);
    assertThat(e.f1(0)).isCloseTo(2 * 0.6 * 0.75 / 1.35, within(1e-12));
    assertThat(e.precision(1)).isEqualTo(2 / 3.0);
    assertThat(e.recall(1)).isEqualTo(0.5);
    assertThat(e.support(2)).isZero();
    assertThat(e.precision(2)).isNaN();
    assertThat(e.recall(2)).isNaN();
    assertThat(e.f1(2)).isNaN();
  }

  @Test
  void aClassNeverRightHasAnF1OfZeroAndTheReportNullsWhatIsUndefined() {
    Evaluation e = Evaluation.of("validation", CLASSES, new int[] {0, 1, 2}, new int[] {1, 0, 0});
    assertThat(e.f1(0)).isZero();
    assertThat(e.precision(2)).isNaN();
    Map<String, Object> report = e.toMap();
    assertThat(report).containsEntry("accuracy", 0.0).containsEntry("examples", 3);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> perClass = (List<Map<String, Object>>) report.get("classes");
    assertThat(perClass.get(2))
        .containsEntry("class", "fox")
        .containsEntry("precision", null)
        .containsEntry("recall", 0.0)
        .containsEntry("support", 1);
    assertThat(report.get("confusion_matrix"))
        .isEqualTo(List.of(List.of(0, 1, 0), List.of(1, 0, 0), List.of(1, 0, 0)));
  }

  @Test
  void aMatrixThatDoesNotFitTheClassesIsRefused() {
    assertThatThrownBy(() -> new Evaluation("validation", CLASSES, new int[][] {{1, 0}, {0, 1}}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2 rows for 3 classes");
    assertThatThrownBy(() -> Evaluation.of("validation", CLASSES, new int[] {0}, new int[0]))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
