package io.tuneserve.cli;

import io.tuneserve.data.FashionMnist;
import io.tuneserve.data.LabelledImages;
import io.tuneserve.tf.zoo.ConvNetTrainer;
import io.tuneserve.tf.zoo.ModelCard;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Trains the demo ConvNet on Fashion-MNIST and writes it as a model of the repository. */
@Command(
    name = "pretrain",
    mixinStandardHelpOptions = true,
    description = {
      "Trains the fashion-convnet demo model on Fashion-MNIST and exports it as",
      "<out>/<version>/ (a SavedModel) with <out>/model.yaml and <out>/MODEL_CARD.md."
    })
final class PretrainCommand implements Callable<Integer> {
  @Option(
      names = "--out",
      required = true,
      description = "Model directory, e.g. models/fashion-convnet.")
  Path out;

  @Option(
      names = "--model-version",
      defaultValue = "1",
      description = "Version to write (default: ${DEFAULT-VALUE}).")
  long version;

  @Option(
      names = "--epochs",
      defaultValue = "3",
      description = "Training epochs (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(
      names = "--batch-size",
      defaultValue = "64",
      description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--learning-rate",
      defaultValue = "0.01",
      description = "Momentum SGD learning rate (default: ${DEFAULT-VALUE}).")
  float learningRate;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--data", description = "Fashion-MNIST directory (default: ${DEFAULT-VALUE}).")
  Path data = FashionMnist.DEFAULT_DIRECTORY;

  @Override
  public Integer call() throws Exception {
    if (epochs < 1 || batchSize < 1 || version < 1 || !(learningRate > 0)) {
      System.err.println(
          "--epochs, --batch-size and --model-version must be positive, --learning-rate > 0");
      return 2;
    }
    Path versionDirectory = out.resolve(Long.toString(version));
    if (Files.exists(versionDirectory)) {
      System.err.println(versionDirectory + " already exists; choose another --model-version");
      return 1;
    }
    FashionMnist fashion = new FashionMnist(data);
    LabelledImages train = fashion.train();
    LabelledImages test = fashion.test();
    ConvNetTrainer.Settings settings =
        new ConvNetTrainer.Settings(epochs, batchSize, learningRate, seed);
    try (ConvNetTrainer trainer = new ConvNetTrainer(FashionMnist.LABELS.size(), seed)) {
      trainer.train(
          train,
          settings,
          report ->
              System.out.printf(
                  "epoch %d: mean loss %.4f (%.1f s)%n",
                  report.epoch(), report.meanLoss(), report.seconds()));
      double accuracy = trainer.accuracy(test);
      System.out.printf("test accuracy %.4f on %d images%n", accuracy, test.count());
      Files.createDirectories(out);
      trainer.export(versionDirectory);
      ModelCard card =
          new ModelCard(
              out.getFileName().toString(),
              version,
              settings,
              train.count(),
              test.count(),
              accuracy);
      Files.writeString(out.resolve("MODEL_CARD.md"), card.markdown());
      Files.writeString(out.resolve("model.yaml"), card.modelYaml(FashionMnist.LABELS));
      System.out.println("wrote " + versionDirectory);
    }
    return 0;
  }
}
