package io.tuneserve.bench;

import io.tuneserve.data.FashionMnist;
import io.tuneserve.dataset.DatasetImages;
import io.tuneserve.dataset.DatasetReader;
import io.tuneserve.dataset.DatasetStore;
import io.tuneserve.dataset.DatasetVersion;
import io.tuneserve.image.ImageDecoder;
import io.tuneserve.model.DType;
import io.tuneserve.repository.ModelSettings;
import io.tuneserve.training.Augmentation;
import io.tuneserve.data.LabelledImages;
import io.tuneserve.data.UciDigits;
import io.tuneserve.model.FeatureLayers;
import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.TensorData;
import io.tuneserve.tf.TensorFlowTrainer;
import io.tuneserve.tf.TfModelLoader;
import io.tuneserve.tf.TfRuntimeOptions;
import io.tuneserve.tf.zoo.ConvNetTrainer;
import io.tuneserve.training.ClassifierLoss;
import io.tuneserve.training.EpochMetrics;
import io.tuneserve.training.Hyperparameters;
import io.tuneserve.training.LabelledExamples;
import io.tuneserve.training.Phase;
import io.tuneserve.training.Strategy;
import io.tuneserve.training.StrategyDecision;
import io.tuneserve.training.TrainingProgress;
import io.tuneserve.training.TrainingRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The four transfer-learning scenarios of the CS231n notes on real data, each trained with every
 * strategy and with {@code auto}:
 *
 * <ul>
 *   <li>base: the zoo ConvNet pretrained on Fashion-MNIST classes 0-4 (tops, trousers, dresses,
 *       coats) only;
 *   <li>similar target: Fashion-MNIST classes 5-9 (sandals, shirts, sneakers, bags, ankle boots),
 *       which the base never saw but which are photographs of the same kind;
 *   <li>very different target: handwritten digits 0-9 (UCI optical digits, 8x8 counts of ink in
 *       4x4 blocks, upsampled to 28x28 and scaled to [0, 1]): strokes, not garments;
 *   <li>small = 20 (similar) or 10 (different) labelled images per class; large = 3000 (stored as
 *       a dataset of PNGs and read from it as training goes, as a job naming a dataset does) or 120
 *       (the digits hold about 180 per class).
 * </ul>
 *
 * Every job is augmented as the server would augment it (small datasets get {@link
 * Augmentation#SMALL_DATA}). Prints a markdown table of held-out accuracy and training time per
 * strategy, whether auto chose the best strategy or one within a point of it, and, for the small
 * scenarios, each strategy's test accuracy with and without augmentation over three seeds.
 */
public final class TransferScenarios {
  private static final long[] SEEDS = {7, 8, 9};
  private static final List<Map.Entry<String, Augmentation>> AUGMENTATIONS =
      List.of(
          Map.entry("none", Augmentation.NONE),
          Map.entry("small-data default", Augmentation.SMALL_DATA),
          Map.entry("with rotations", new Augmentation(0.1, false, 10, 0.1, 0.2)),
          Map.entry("with rotations and flips", new Augmentation(0.1, true, 10, 0.1, 0.2)));
  private static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

  private record Scenario(String name, LabelledExamples train, LabelledExamples test) {}

  private record Row(String scenario, String strategy, int examples, double accuracy, double seconds, String note) {}

  public static void main(String[] args) throws Exception {
    Path work = Files.createTempDirectory("tuneserve-scenarios");
    FashionMnist fashion = new FashionMnist(FashionMnist.DEFAULT_DIRECTORY);
    LabelledImages fashionTrain = fashion.train();
    LabelledImages fashionTest = fashion.test();

    // --base DIR: start from a SavedModel of 28x28x1 input instead (a Keras / TF2 export works: its
    // CNN codes are found as it loads); otherwise the zoo ConvNet pretrained on classes 0-4.
    List<String> arguments = new ArrayList<>(List.of(args));
    // --augmentation-only: only the small scenarios' table of augmentation settings.
    boolean augmentationOnly = arguments.remove("--augmentation-only");
    int baseFlag = arguments.indexOf("--base");
    Path givenBase = null;
    if (baseFlag >= 0) {
      givenBase = Path.of(arguments.get(baseFlag + 1));
      arguments.subList(baseFlag, baseFlag + 2).clear();
    }
    Path base;
    FeatureLayers layers;
    String earlier;
    String baseDescription;
    if (givenBase != null) {
      base = givenBase;
      layers = FeatureLayers.automatic();
      earlier = FeatureLayers.EARLIER;
      baseDescription = "the SavedModel " + givenBase + ", its CNN codes found automatically";
    } else {
      base = work.resolve("base/1");
      layers = new FeatureLayers("features", null, null);
      earlier = "block2";
      long start = System.nanoTime();
      double baseAccuracy;
      try (ConvNetTrainer trainer = new ConvNetTrainer(5, 42)) {
        trainer.train(select(fashionTrain, 0, 5, Integer.MAX_VALUE), new ConvNetTrainer.Settings(2, 64, 0.01f, 42), r -> {});
        baseAccuracy = trainer.accuracy(select(fashionTest, 0, 5, Integer.MAX_VALUE));
        trainer.export(base);
      }
      System.out.printf(
          Locale.ROOT, "base: classes 0-4, test accuracy %.4f, %.0f s%n", baseAccuracy, (System.nanoTime() - start) / 1e9);
      baseDescription =
          String.format(
              Locale.ROOT, "fashion ConvNet pretrained on Fashion-MNIST classes 0-4 (2 epochs, test accuracy %.4f)", baseAccuracy);
    }

    Path digitsFile = Path.of(!arguments.isEmpty() ? arguments.get(0) : "../shared/testdata/digits/digits.csv.gz");
    if (!Files.exists(digitsFile)) {
      System.err.println(
          "needs the handwritten digits at " + digitsFile.toAbsolutePath().normalize()
              + " (../shared/testdata/digits/ beside the checkout, or pass the file's path)");
      System.exit(2);
    }
    LabelledImages digits = UciDigits.read(digitsFile);
    List<Scenario> scenarios = new ArrayList<>();
    scenarios.add(new Scenario("small, similar", examples(select(fashionTrain, 5, 10, 20)), examples(select(fashionTest, 5, 10, 400))));
    if (!augmentationOnly) {
      LabelledExamples largeSimilar = stored(select(fashionTrain, 5, 10, 3000), work);
      scenarios.add(
          new Scenario("large, similar", largeSimilar, examples(select(fashionTest, 5, 10, 400)).labelledAs(largeSimilar.classNames(), "the test set")));
    }
    scenarios.add(new Scenario("small, different", digitExamples(digits, 0, 10), digitExamples(digits, 120, 1000)));
    if (!augmentationOnly) {
      scenarios.add(new Scenario("large, different", digitExamples(digits, 0, 120), digitExamples(digits, 120, 1000)));
    }

    List<Row> rows = new ArrayList<>();
    List<String> verdicts = new ArrayList<>();
    for (Scenario scenario : augmentationOnly ? List.<Scenario>of() : scenarios) {
      Map<Strategy, Double> accuracy = new java.util.EnumMap<>(Strategy.class);
      for (Strategy strategy : Strategy.values()) {
        StrategyDecision[] decision = new StrategyDecision[1];
        Path output = work.resolve(scenario.name().replace(", ", "-") + "-" + strategy.apiName());
        Hyperparameters hp =
            strategy == Strategy.FINE_TUNE
                ? new Hyperparameters(12, 32, 0.05, 0.005, 0, 2, 1e-4, 0.2, 4, 7, ClassifierLoss.SOFTMAX)
                : new Hyperparameters(40, 32, 0.05, 0.005, 0, 2, 1e-4, 0.2, 6, 7, ClassifierLoss.SOFTMAX);
        long began = System.nanoTime();
        train(base, layers, earlier, strategy, scenario.train(), hp, Augmentation.forJob(null, scenario.train()), output, decision);
        double seconds = (System.nanoTime() - began) / 1e9;
        double testAccuracy = evaluate(output, scenario.test());
        accuracy.put(strategy, testAccuracy);
        String note =
            decision[0] == null
                ? ""
                : "chose " + decision[0].chosen().apiName() + ": " + decision[0].reason();
        rows.add(new Row(scenario.name(), strategy.apiName(), scenario.train().count(), testAccuracy, seconds, note));
        System.out.printf(Locale.ROOT, "%-17s %-23s %.4f %6.1f s %s%n", scenario.name(), strategy.apiName(), testAccuracy, seconds, note);
      }
      double best =
          accuracy.entrySet().stream()
              .filter(e -> e.getKey() != Strategy.AUTO)
              .mapToDouble(Map.Entry::getValue)
              .max()
              .orElse(0);
      double auto = accuracy.get(Strategy.AUTO);
      verdicts.add(
          String.format(
              Locale.ROOT,
              "| %s | %.4f | %.4f | %s |",
              scenario.name(), best, auto, auto >= best - 0.01 ? "yes" : "**no**"));
    }

    List<String> augmented = new ArrayList<>();
    for (Scenario scenario : scenarios.stream().filter(s -> s.name().startsWith("small")).toList()) {
      for (Strategy strategy : List.of(Strategy.FEATURE_EXTRACTOR, Strategy.EARLIER_LAYER_FEATURES, Strategy.FINE_TUNE)) {
        double[] sums = new double[AUGMENTATIONS.size()];
        for (long seed : SEEDS) {
          for (int a = 0; a < AUGMENTATIONS.size(); a++) {
            // The server's defaults (30 epochs at most, early stopping after 5 without progress).
            Hyperparameters hp = Hyperparameters.DEFAULTS.withSeed(seed);
            Path output = work.resolve(scenario.name().replace(", ", "-") + "-" + strategy.apiName() + "-" + seed + "-" + a);
            train(base, layers, earlier, strategy, scenario.train(), hp, AUGMENTATIONS.get(a).getValue(), output, new StrategyDecision[1]);
            sums[a] += evaluate(output, scenario.test());
          }
        }
        StringBuilder line = new StringBuilder("| " + scenario.name() + " | " + strategy.apiName() + " |");
        for (double sum : sums) {
          line.append(String.format(Locale.ROOT, " %.4f (%+.4f) |", sum / SEEDS.length, (sum - sums[0]) / SEEDS.length));
        }
        System.out.println(line);
        augmented.add(line.toString());
      }
    }

    StringBuilder md = new StringBuilder();
    md.append("Base: ").append(baseDescription).append(".\n\n");
    if (!augmentationOnly) {
    md.append("| scenario | examples | strategy | held-out accuracy | training time (s) | auto's decision |\n|---|---|---|---|---|---|\n");
    for (Row row : rows) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %s | %.4f | %.1f | %s |%n",
              row.scenario(), row.examples(), row.strategy(), row.accuracy(), row.seconds(), row.note()));
    }
    md.append("\n| scenario | best strategy's accuracy | auto's accuracy | auto within a point |\n|---|---|---|---|\n");
    verdicts.forEach(v -> md.append(v).append('\n'));
    }
    md.append("\nAugmentation in the small scenarios, with the server's default hyperparameters: the same splits and seeds with each setting, mean test accuracy over seeds ")
        .append(java.util.Arrays.toString(SEEDS)).append(" (in brackets: against none).\n\n");
    AUGMENTATIONS.forEach(e -> md.append("- ").append(e.getKey()).append(": ").append(e.getValue().toMap()).append('\n'));
    md.append("\n| scenario | strategy |");
    AUGMENTATIONS.forEach(e -> md.append(' ').append(e.getKey()).append(" |"));
    md.append("\n|---|---|").append("---|".repeat(AUGMENTATIONS.size())).append('\n');
    augmented.forEach(a -> md.append(a).append('\n'));
    System.out.println();
    System.out.println(md);
    Files.createDirectories(Path.of("load-tests/results"));
    Files.writeString(
        Path.of(augmentationOnly ? "load-tests/results/scenarios-augmentation.md" : "load-tests/results/scenarios.md"), md.toString());
  }

  private static void train(
      Path base,
      FeatureLayers layers,
      String earlier,
      Strategy strategy,
      LabelledExamples train,
      Hyperparameters hp,
      Augmentation augmentation,
      Path output,
      StrategyDecision[] decision) {
    new TensorFlowTrainer()
        .train(
            new TrainingRequest(base, layers, "features", earlier, strategy, train, hp, output, null, null, null, augmentation),
            new TrainingProgress() {
              @Override
              public void phase(Phase phase) {}

              @Override
              public void decided(StrategyDecision chosen) {
                decision[0] = chosen;
              }

              @Override
              public void epoch(EpochMetrics metrics, double fractionDone) {}

              @Override
              public boolean cancelled() {
                return false;
              }
            });
  }

  /**
   * Fashion images of classes 5-9 stored as a dataset of PNGs, read back as a job naming the
   * dataset reads it: decoded a batch at a time with the demo model's preprocessing.
   */
  private static LabelledExamples stored(LabelledImages images, Path work) throws Exception {
    List<String> names = FashionMnist.LABELS.subList(5, 10).stream().map(n -> n.replace('/', '-')).toList();
    DatasetStore store = DatasetStore.inDirectory(work.resolve("datasets"), 1 << 20, java.time.Clock.systemUTC());
    DatasetVersion version =
        store.write(
            "large-similar",
            DatasetStore.Change.CREATE,
            sink -> {
              for (int i = 0; i < images.count(); i++) {
                try {
                  sink.add(names.get(images.labels()[i]), "image " + i, LargeDataset.png(images, i));
                } catch (java.io.IOException e) {
                  throw e;
                } catch (Exception e) {
                  throw new java.io.IOException(e);
                }
              }
            });
    DatasetReader reader = store.open(version);
    ImageDecoder decoder =
        new ImageDecoder(new ModelSettings.ImageInput(null, "images", null, 28, 28, 1, null, null), DType.FP32, 1 << 20);
    return new LabelledExamples(new DatasetImages(reader, decoder), reader.labels(), version.classNames());
  }

  /** Images of classes [from, to), at most {@code perClass} of each, relabelled from 0. */
  private static LabelledImages select(LabelledImages all, int from, int to, int perClass) {
    int[] taken = new int[10];
    List<Integer> chosen = new ArrayList<>();
    for (int i = 0; i < all.count(); i++) {
      int label = all.labels()[i];
      if (label >= from && label < to && taken[label] < perClass) {
        taken[label]++;
        chosen.add(i);
      }
    }
    float[] pixels = new float[chosen.size() * all.imageSize()];
    int[] labels = new int[chosen.size()];
    for (int i = 0; i < chosen.size(); i++) {
      System.arraycopy(all.pixels(), chosen.get(i) * all.imageSize(), pixels, i * all.imageSize(), all.imageSize());
      labels[i] = all.labels()[chosen.get(i)] - from;
    }
    return new LabelledImages(chosen.size(), all.height(), all.width(), pixels, labels);
  }

  private static LabelledExamples examples(LabelledImages images) {
    List<String> names = FashionMnist.LABELS.subList(5, 10);
    return new LabelledExamples(
        TensorData.ofFloats(new long[] {images.count(), 28, 28, 1}, images.pixels()), images.labels(), names);
  }

  /** Digits whose index within their class is in [from, from + count). */
  private static LabelledExamples digitExamples(LabelledImages digits, int from, int count) {
    int[] seen = new int[10];
    List<Integer> chosen = new ArrayList<>();
    for (int i = 0; i < digits.count(); i++) {
      int label = digits.labels()[i];
      if (seen[label] >= from && seen[label] < from + count) {
        chosen.add(i);
      }
      seen[label]++;
    }
    float[] pixels = new float[chosen.size() * 784];
    int[] labels = new int[chosen.size()];
    for (int i = 0; i < chosen.size(); i++) {
      System.arraycopy(digits.pixels(), chosen.get(i) * 784, pixels, i * 784, 784);
      labels[i] = digits.labels()[chosen.get(i)];
    }
    return new LabelledExamples(TensorData.ofFloats(new long[] {chosen.size(), 28, 28, 1}, pixels), labels, DIGITS);
  }

  private static double evaluate(Path model, LabelledExamples test) throws Exception {
    try (LoadedModel loaded = new TfModelLoader(TfRuntimeOptions.defaults()).load(model)) {
      String input = loaded.signatures().get("serving_default").inputs().keySet().iterator().next();
      TensorData probabilities =
          loaded.run("serving_default", Map.of(input, test.images().range(0, test.count())), Set.of("probabilities")).get("probabilities");
      int classes = (int) probabilities.dim(1);
      int correct = 0;
      for (int i = 0; i < test.count(); i++) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
          if (probabilities.doubleAt(i * classes + c) > probabilities.doubleAt(i * classes + best)) {
            best = c;
          }
        }
        if (best == test.labels()[i]) {
          correct++;
        }
      }
      return correct / (double) test.count();
    }
  }
}
