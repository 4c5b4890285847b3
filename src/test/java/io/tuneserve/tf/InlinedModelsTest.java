package io.tuneserve.tf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tuneserve.model.FeatureLayers;
import io.tuneserve.model.Layer;
import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.ModelLoadException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.testing.TestData;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.proto.ConfigProto;

/** Keras / TF2 SavedModels made by others, opened with their functions inlined. */
class InlinedModelsTest {
  private static final ConfigProto CONFIG = ConfigProto.getDefaultInstance();

  private static Path mnist() {
    return TestData.shared("thirdparty").resolve("mnist-cnn-2shard/1");
  }

  private static Path emotion() {
    return TestData.shared("thirdparty").resolve("emotion-minixception/1");
  }

  @Test
  void functionsAreInlinedIntoGraphVariablesAndTheLayersCanBeFetched() {
    for (Path model : List.of(mnist(), emotion())) {
      try (OpenModel open = SavedModels.open(model, CONFIG, FeatureLayers.automatic())) {
        assertTrue(open.layersInline(), model + ": " + open.note());
        assertTrue(open.note().startsWith("inlined "), open.note());
        Graph graph = open.graph();
        int handles = 0;
        int variables = 0;
        int calls = 0;
        for (var ops = graph.operations(); ops.hasNext(); ) {
          GraphOperation op = ops.next();
          handles += op.type().equals("VarHandleOp") ? 1 : 0;
          variables += op.type().equals("VariableV2") ? 1 : 0;
          calls += op.type().endsWith("PartitionedCall") ? 1 : 0;
        }
        assertEquals(0, handles, model + " keeps resource variables");
        assertEquals(0, calls, model + " keeps function calls");
        assertTrue(variables > 4, model + " has " + variables + " variables");
        for (String untrainable : open.untrainable()) {
          assertFalse(
              untrainable.endsWith("/kernel") || untrainable.endsWith("/gamma"),
              untrainable + " is a weight");
        }
      }
    }
  }

  @Test
  void theDigitSampleKeepsItsClassAndItsCodesComeFromTheDenseLayerBeforeTheClassifier()
      throws IOException, ModelLoadException {
    Path sample = mnist().getParent().resolve("samples/digit0_gihants.png");
    BufferedImage image = ImageIO.read(sample.toFile());
    float[] pixels = new float[28 * 28];
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        pixels[y * 28 + x] = (image.getRGB(x, y) & 0xff) / 255f;
      }
    }
    TensorData digit = TensorData.ofFloats(new long[] {1, 28, 28, 1}, pixels);
    try (LoadedModel model = new TfModelLoader(TfRuntimeOptions.defaults()).load(mnist())) {
      SignatureSpec serving = model.signatures().get("serving_default");
      String input = serving.inputs().keySet().iterator().next();
      String output = serving.outputs().keySet().iterator().next();
      FloatBuffer scores =
          model
              .run("serving_default", Map.of(input, digit), Set.of(output))
              .get(output)
              .littleEndian()
              .asFloatBuffer();
      assertTrue(scores.get(0) > 0.99, "p(0) = " + scores.get(0));

      SignatureSpec features = model.signatures().get("features");
      assertNotNull(features, "no features signature: " + model.loadNote());
      Map<String, TensorData> codes =
          model.run("features", Map.of(input, digit), Set.of("features", "earlier"));
      assertEquals(
          List.of(1L, 64L),
          List.of(codes.get("features").shape()[0], codes.get("features").shape()[1]));
      assertEquals(2, codes.get("earlier").rank());
      assertTrue(model.loadNote().contains("dense/Relu"), model.loadNote());

      List<Layer> layers = model.layers();
      assertTrue(
          layers.stream().anyMatch(l -> l.kind().equals("conv") || l.kind().equals("activation")));
      assertEquals("dense_1", layers.get(0).name());
      assertEquals("softmax", layers.get(0).kind());
      assertEquals(
          List.of(
              "dense_1",
              "dense",
              "flatten",
              "max_pooling2d_1",
              "conv2d_1",
              "max_pooling2d",
              "conv2d"),
          layers.stream().map(Layer::name).toList());
      for (int i = 1; i < layers.size(); i++) {
        assertTrue(layers.get(i - 1).distance() <= layers.get(i).distance());
      }
    }
  }

  @Test
  void theEmotionModelsCodesArePooledFromTheResidualBlockBeforeItsClassifyingConvolution()
      throws ModelLoadException {
    try (LoadedModel model = new TfModelLoader(TfRuntimeOptions.defaults()).load(emotion())) {
      SignatureSpec features = model.signatures().get("features");
      assertNotNull(features, "no features signature: " + model.loadNote());
      long[] top = features.outputs().get("features").shape();
      long[] earlier = features.outputs().get("earlier").shape();
      assertEquals(2, top.length);
      assertEquals(-1, top[0]);
      assertEquals(128, top[1], "the last residual block has 128 channels: " + model.loadNote());
      assertEquals(64, earlier[1], "the block before it has 64: " + model.loadNote());
      assertTrue(model.loadNote().contains("model/add_3/add:0"), model.loadNote());
    }
  }

  @Test
  void aNamedLayerThatIsNotThereFailsTheLoadNamingTheLayersThereAre() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SavedModels.open(mnist(), CONFIG, new FeatureLayers("features", "nope", null))
                    .close());
    assertTrue(e.getMessage().contains("no layer or tensor 'nope'"), e.getMessage());
    assertTrue(e.getMessage().contains("dense"), e.getMessage());
  }

  @Test
  void outputsThatDifferBeyondTheToleranceAreReported() {
    TensorData a = TensorData.ofFloats(new long[] {1, 2}, new float[] {1f, 2f});
    assertNull(
        SameOutputs.difference(
            a, TensorData.ofFloats(new long[] {1, 2}, new float[] {1f, 2.00001f})));
    assertNotNull(
        SameOutputs.difference(a, TensorData.ofFloats(new long[] {1, 2}, new float[] {1f, 2.01f})));
    assertNotNull(
        SameOutputs.difference(a, TensorData.ofFloats(new long[] {2, 1}, new float[] {1f, 2f})));
    assertFalse(
        SameOutputs.difference(a, TensorData.ofFloats(new long[] {1, 2}, new float[] {1f, 3f}))
            .isEmpty());
  }
}
