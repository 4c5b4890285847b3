package io.tuneserve.tf.zoo;

import static org.assertj.core.api.Assertions.assertThat;

import io.tuneserve.data.FashionMnist;
import io.tuneserve.data.LabelledImages;
import io.tuneserve.model.DType;
import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.tf.TfModelLoader;
import io.tuneserve.tf.TfRuntimeOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trains the zoo ConvNet briefly on real Fashion-MNIST images, exports it, and checks the exported
 * SavedModel through the serving runtime: its three signatures, its accuracy, and that its
 * train_step signature really trains.
 */
class ConvNetTrainerTest {
  private static LabelledImages train;
  private static LabelledImages test;

  @BeforeAll
  static void loadData() throws Exception {
    FashionMnist fashion = new FashionMnist(FashionMnist.DEFAULT_DIRECTORY);
    train = subset(fashion.train(), 3000);
    test = subset(fashion.test(), 1000);
  }

  private static LabelledImages subset(LabelledImages all, int count) {
    float[] pixels = new float[count * all.imageSize()];
    all.copyPixels(0, count, pixels);
    return new LabelledImages(
        count, all.height(), all.width(), pixels, java.util.Arrays.copyOf(all.labels(), count));
  }

  @Test
  void trainsExportsAndServes(@TempDir Path dir) throws Exception {
    List<ConvNetTrainer.EpochReport> reports = new ArrayList<>();
    double accuracy;
    try (ConvNetTrainer trainer = new ConvNetTrainer(10, 7)) {
      trainer.train(train, new ConvNetTrainer.Settings(2, 32, 0.01f, 7), reports::add);
      accuracy = trainer.accuracy(test);
      trainer.export(dir.resolve("1"));
    }
    assertThat(reports).hasSize(2);
    assertThat(reports.get(1).meanLoss()).isLessThan(reports.get(0).meanLoss());
    assertThat(accuracy).as("10 classes, chance is 0.1").isGreaterThan(0.6);

    try (LoadedModel model =
        new TfModelLoader(TfRuntimeOptions.defaults()).load(dir.resolve("1"))) {
      assertThat(model.signatures()).containsKeys("serving_default", "features", "train_step");
      SignatureSpec features = model.signatures().get("features");
      assertThat(features.outputs()).containsKeys("features", "block1", "block2");
      assertThat(features.outputs().get("features").shape()).containsExactly(-1, 128);

      TensorData images = images(0, 64);
      Map<String, TensorData> served =
          model.run("serving_default", Map.of("images", images), Set.of("probabilities"));
      assertThat(correct(served.get("probabilities"), 0, 64)).isGreaterThan(32);

      TensorData codes =
          model.run("features", Map.of("images", images), Set.of("features")).get("features");
      assertThat(codes.shape()).containsExactly(64, 128);
      for (int i = 0; i < codes.elementCount(); i++) {
        assertThat(codes.doubleAt(i)).as("CNN codes are ReLU'd").isGreaterThanOrEqualTo(0);
      }

      // The rate it was trained at: five times that overshoots on one batch now and then.
      double first = trainStep(model, 0.01f);
      double loss = first;
      for (int step = 0; step < 20; step++) {
        loss = trainStep(model, 0.01f);
      }
      assertThat(loss).as("train_step lowers the loss on its batch").isLessThan(first);
    }
  }

  private static double trainStep(LoadedModel model, float lr) {
    TensorData labels = labels(0, 64);
    TensorData rate = TensorData.ofFloats(new long[0], new float[] {lr});
    return model
        .run(
            "train_step",
            Map.of("images", images(0, 64), "labels", labels, "lr_base", rate, "lr_head", rate),
            Set.of("loss"))
        .get("loss")
        .doubleAt(0);
  }

  private static TensorData images(int from, int count) {
    float[] pixels = new float[count * test.imageSize()];
    test.copyPixels(from, count, pixels);
    return TensorData.ofFloats(new long[] {count, 28, 28, 1}, pixels);
  }

  private static TensorData labels(int from, int count) {
    ByteBuffer buffer = ByteBuffer.allocate(count * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < count; i++) {
      buffer.putLong(test.labels()[from + i]);
    }
    return TensorData.ofRaw(DType.INT64, new long[] {count}, buffer.array());
  }

  private static int correct(TensorData probabilities, int from, int count) {
    int correct = 0;
    for (int i = 0; i < count; i++) {
      int best = 0;
      for (int c = 1; c < 10; c++) {
        if (probabilities.doubleAt(i * 10 + c) > probabilities.doubleAt(i * 10 + best)) {
          best = c;
        }
      }
      if (best == test.labels()[from + i]) {
        correct++;
      }
    }
    return correct;
  }
}
