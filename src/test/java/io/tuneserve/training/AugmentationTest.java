package io.tuneserve.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.tuneserve.model.DType;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AugmentationTest {
  private static final int SIDE = 8;

  /** One image {@code [1, 8, 8, 1]} with values rising left to right and top to bottom. */
  private static TensorData gradient() {
    float[] values = new float[SIDE * SIDE];
    for (int y = 0; y < SIDE; y++) {
      for (int x = 0; x < SIDE; x++) {
        values[y * SIDE + x] = x + 10 * y;
      }
    }
    return TensorData.ofFloats(new long[] {1, SIDE, SIDE, 1}, values);
  }

  private static float[] floats(TensorData data) {
    float[] values = new float[(int) data.elementCount()];
    data.littleEndian().asFloatBuffer().get(values);
    return values;
  }

  @Test
  void flippingAloneMirrorsOrKeepsEachImageExactly() {
    Augmentation flip = new Augmentation(0, true, 0, 0, 0);
    float[] original = floats(gradient());
    Random random = new Random(3);
    int mirrored = 0;
    for (int draw = 0; draw < 40; draw++) {
      float[] out = floats(flip.apply(gradient(), random));
      boolean same = java.util.Arrays.equals(out, original);
      boolean mirror = true;
      for (int y = 0; y < SIDE; y++) {
        for (int x = 0; x < SIDE; x++) {
          mirror &= out[y * SIDE + x] == original[y * SIDE + (SIDE - 1 - x)];
        }
      }
      assertThat(same || mirror).as("draw %d", draw).isTrue();
      mirrored += mirror ? 1 : 0;
    }
    assertThat(mirrored).as("about half of 40 draws").isBetween(8, 32);
  }

  @Test
  void brightnessAloneShiftsEveryPixelByTheSameAmountWithinTheRange() {
    Augmentation brighter = new Augmentation(0, false, 0, 0.2, 0);
    float[] original = floats(gradient());
    float[] out = floats(brighter.apply(gradient(), new Random(5)));
    double range = 77;
    Double shift = null;
    for (int k = 0; k < out.length; k++) {
      assertThat(out[k]).isBetween(0f, 77f);
      if (out[k] > 0 && out[k] < 77) {
        if (shift == null) {
          shift = (double) out[k] - original[k];
        }
        assertThat((double) out[k] - original[k]).isCloseTo(shift, within(1e-4));
      }
    }
    assertThat(Math.abs(shift)).isBetween(0.0, 0.2 * range).isPositive();
  }

  @Test
  void rotationAndCropMoveThePixelsButKeepTheirRange() {
    Augmentation geometry = new Augmentation(0.3, false, 30, 0, 0);
    float[] original = floats(gradient());
    float[] out = floats(geometry.apply(gradient(), new Random(11)));
    assertThat(out).isNotEqualTo(original);
    for (float v : out) {
      assertThat(v).isBetween(0f, 77f);
    }
    assertThat(floats(geometry.apply(gradient(), new Random(11))))
        .as("the same draws give the same image")
        .isEqualTo(out);
  }

  @Test
  void bytesStayBytesAndOnlyTheChosenImagesChange() {
    byte[] raw = new byte[2 * SIDE * SIDE * 3];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = (byte) (i * 7);
    }
    TensorData batch = TensorData.ofRaw(DType.UINT8, new long[] {2, SIDE, SIDE, 3}, raw);
    TensorData out = Augmentation.SMALL_DATA.apply(batch, new Random[] {null, new Random(1)});
    assertThat(out.dtype()).isEqualTo(DType.UINT8);
    assertThat(out.shape()).containsExactly(2, SIDE, SIDE, 3);
    byte[] changed = out.raw();
    assertThat(java.util.Arrays.copyOfRange(changed, 0, SIDE * SIDE * 3))
        .isEqualTo(java.util.Arrays.copyOfRange(raw, 0, SIDE * SIDE * 3));
    assertThat(java.util.Arrays.copyOfRange(changed, SIDE * SIDE * 3, raw.length))
        .isNotEqualTo(java.util.Arrays.copyOfRange(raw, SIDE * SIDE * 3, raw.length));
  }

  @Test
  void refusesSettingsOutOfRangeAndTensorsThatAreNotImages() {
    assertThatThrownBy(() -> new Augmentation(0.6, false, 0, 0, 0))
        .isInstanceOf(ServingException.class)
        .hasMessageContaining("crop must be in [0, 0.5]");
    assertThatThrownBy(() -> new Augmentation(0, false, 90, 0, 0))
        .hasMessageContaining("rotation_degrees");
    assertThatThrownBy(
            () ->
                Augmentation.SMALL_DATA.apply(
                    TensorData.ofFloats(new long[] {2, 3}, new float[6]), new Random(1)))
        .isInstanceOf(ServingException.class)
        .hasMessageContaining("[batch, height, width, channels]");
  }

  private static LabelledExamples examples(int perClass) {
    int n = 2 * perClass;
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 2;
    }
    return new LabelledExamples(
        TensorData.ofFloats(new long[] {n, 2, 2, 1}, new float[n * 4]), labels, List.of("a", "b"));
  }

  @Test
  void smallDatasetsAreAugmentedByDefaultAndLargeOnesAreNot() {
    assertThat(Augmentation.forJob(null, examples(20))).isEqualTo(Augmentation.SMALL_DATA);
    assertThat(Augmentation.forJob(null, examples(StrategyDecision.LARGE_PER_CLASS)))
        .isEqualTo(Augmentation.NONE);
    Augmentation asked = new Augmentation(0, true, 0, 0, 0);
    assertThat(Augmentation.forJob(asked, examples(20))).isSameAs(asked);
    assertThat(Augmentation.forJob(Augmentation.NONE, examples(20)).isNone()).isTrue();
  }

  @Test
  void augmentedCopiesFollowTheOriginalsWithTheirLabelsAndReadTheSameTwice() {
    float[] values = new float[3 * SIDE * SIDE];
    for (int i = 0; i < values.length; i++) {
      values[i] = i % 17;
    }
    LabelledExamples originals =
        new LabelledExamples(
            TensorData.ofFloats(new long[] {3, SIDE, SIDE, 1}, values),
            new int[] {0, 1, 0},
            List.of("a", "b"));
    LabelledExamples copies = AugmentedCopies.of(originals, Augmentation.SMALL_DATA, 2, 9);
    assertThat(copies.count()).isEqualTo(9);
    assertThat(copies.labels()).containsExactly(0, 1, 0, 0, 1, 0, 0, 1, 0);
    assertThat(copies.images().range(0, 3).raw()).isEqualTo(originals.images().range(0, 3).raw());
    byte[] first = copies.images().rows(new int[] {4, 8}).raw();
    assertThat(copies.images().rows(new int[] {4, 8}).raw()).isEqualTo(first);
    assertThat(copies.images().rows(new int[] {4}).raw())
        .isNotEqualTo(originals.images().rows(new int[] {1}).raw())
        .isNotEqualTo(copies.images().rows(new int[] {7}).raw());
    assertThat(AugmentedCopies.of(originals, Augmentation.NONE, 2, 9)).isSameAs(originals);
  }
}
