package io.tuneserve.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.tuneserve.model.TensorData;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The validation split by content: the same examples held out whatever else a set holds. */
class LabelledExamplesTest {
  /** Examples whose single value is their content, in the given order. */
  private static LabelledExamples examples(List<Float> values) {
    float[] data = new float[values.size()];
    int[] labels = new int[values.size()];
    for (int i = 0; i < data.length; i++) {
      data[i] = values.get(i);
      labels[i] = i % 2;
    }
    return new LabelledExamples(
        TensorData.ofFloats(new long[] {data.length, 1}, data), labels, List.of("a", "b"));
  }

  private static Set<Float> contents(LabelledExamples examples) {
    Set<Float> values = new HashSet<>();
    if (examples == null) {
      return values;
    }
    TensorData all = examples.images().range(0, examples.count());
    for (int i = 0; i < examples.count(); i++) {
      values.add((float) all.doubleAt(i));
    }
    return values;
  }

  @Test
  void aSupersetHoldsOutTheSameExamplesAndNoneTheSmallerSetTrainedOn() {
    List<Float> first = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      first.add((float) i);
    }
    LabelledExamples.Split small = examples(first).heldOutByContent(0.2);
    assertThat(small.validation().count()).isBetween(150, 250);
    assertThat(small.train().count() + small.validation().count()).isEqualTo(1000);

    List<Float> superset = new ArrayList<>();
    for (int i = 1199; i >= 0; i--) {
      superset.add((float) i);
    }
    LabelledExamples.Split large = examples(superset).heldOutByContent(0.2);
    Set<Float> heldBefore = contents(small.validation());
    Set<Float> heldNow = contents(large.validation());
    assertThat(heldNow).containsAll(heldBefore);
    Set<Float> trainedBefore = contents(small.train());
    trainedBefore.retainAll(heldNow);
    assertThat(trainedBefore).as("examples version 1 trained on, held out now").isEmpty();
  }

  @Test
  void duplicatesStayOnOneSide() {
    List<Float> values = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      values.add((float) (i % 100));
    }
    LabelledExamples.Split split = examples(values).heldOutByContent(0.3);
    Set<Float> both = contents(split.train());
    both.retainAll(contents(split.validation()));
    assertThat(both).isEmpty();
  }

  @Test
  void aHandfulOfExamplesHoldsOutItsShareRoundedDown() {
    LabelledExamples.Split split = examples(List.of(1f, 2f, 3f, 4f, 5f)).heldOutByContent(0.2);
    assertThat(split.validation().count()).isEqualTo(1);
    assertThat(split.train().count()).isEqualTo(4);
    assertThat(examples(List.of(1f, 2f)).heldOutByContent(0.2).heldOut()).isFalse();
    assertThat(examples(List.of(1f, 2f, 3f)).heldOutByContent(0).heldOut()).isFalse();
  }
}
