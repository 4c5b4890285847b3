package io.tuneserve.tf.zoo;

import static org.assertj.core.api.Assertions.assertThat;

import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.TensorData;
import io.tuneserve.tf.TfModelLoader;
import io.tuneserve.tf.TfRuntimeOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MobileNetGraphTest {
  @Test
  void hasMobileNetV2sCostAndServesAFullSizeImage() throws Exception {
    assertThat(MobileNetGraph.multiplyAdds())
        .as("MobileNetV2 1.0 at 224x224 is about 300 million multiply-adds")
        .isBetween(280_000_000L, 320_000_000L);
    Path directory = Files.createTempDirectory("mobilenet").resolve("1");
    MobileNetGraph.export(directory, 7);
    try (LoadedModel model = new TfModelLoader(TfRuntimeOptions.defaults()).load(directory)) {
      assertThat(model.signatures().get("serving_default").inputs().get("images").shape())
          .containsExactly(-1, 224, 224, 3);
      float[] pixels = new float[2 * 224 * 224 * 3];
      for (int i = 0; i < pixels.length; i++) {
        pixels[i] = (i % 255) / 127.5f - 1;
      }
      Map<String, TensorData> outputs =
          model.run(
              "serving_default",
              Map.of("images", TensorData.ofFloats(new long[] {2, 224, 224, 3}, pixels)),
              Set.of("probabilities"));
      TensorData probabilities = outputs.get("probabilities");
      assertThat(probabilities.shape()).containsExactly(2, 1000);
      double sum = 0;
      for (int i = 0; i < 1000; i++) {
        double p = probabilities.doubleAt(i);
        assertThat(p).isBetween(0.0, 1.0);
        sum += p;
      }
      assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-3));
      assertThat(model.writes("serving_default")).isEmpty();
    } finally {
      io.tuneserve.testing.TestServer.deleteTree(directory.getParent());
    }
  }
}
