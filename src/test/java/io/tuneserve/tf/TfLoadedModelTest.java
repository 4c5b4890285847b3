package io.tuneserve.tf;

import static org.assertj.core.api.Assertions.assertThat;

import io.tuneserve.model.LoadedModel;
import io.tuneserve.testing.TestData;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a loaded SavedModel says about its signatures: shapes it can take, and what it writes. */
class TfLoadedModelTest {
  private final TfModelLoader loader = new TfModelLoader(TfRuntimeOptions.defaults());

  @Test
  void shapeInferenceAdmitsWhatTheGraphComputesAndRefusesWhatAKernelWouldNotTake()
      throws Exception {
    try (LoadedModel convnet = loader.load(TestData.fashionConvnet())) {
      assertThat(convnet.shapeRefusal("serving_default", Map.of("images", new long[] {1, 28, 28})))
          .hasValueSatisfying(reason -> assertThat(reason).contains("rank 4").contains("rank 3"));
      assertThat(
              convnet.shapeRefusal("serving_default", Map.of("images", new long[] {3, 32, 32, 1})))
          .as("the convolutions and global pooling take any image size")
          .isEmpty();
      assertThat(
              convnet.shapeRefusal("serving_default", Map.of("images", new long[] {1, 28, 28, 3})))
          .as("three channels where the filters take one")
          .isPresent();
    }
    try (LoadedModel affine = loader.load(TestData.halfPlusTwo())) {
      assertThat(affine.shapeRefusal("serving_default", Map.of("x", new long[] {2, 2}))).isEmpty();
      assertThat(affine.shapeRefusal("serving_default", Map.of("x", new long[] {}))).isEmpty();
    }
  }

  @Test
  void signaturesThatWriteVariablesAreFoundInGraphsAndInFunctions() throws Exception {
    try (LoadedModel convnet = loader.load(TestData.fashionConvnet())) {
      assertThat(convnet.writes("train_step")).isPresent();
      assertThat(convnet.writes("serving_default")).isEmpty();
      assertThat(convnet.writes("features")).isEmpty();
    }
  }

  @Test
  void aTf2ModelsInitializerIsNeverRunForARequestAndItsServingFunctionIs() throws Exception {
    try (LoadedModel model = loader.load(TestData.tfServingHalfPlusTwoTf2())) {
      assertThat(model.loadNote()).startsWith("inlined ");
      assertThat(model.writes("serving_default")).isEmpty();
      assertThat(model.writes("__saved_model_init_op")).isPresent();
    }
  }
}
