package io.tuneserve.cli;

import io.tuneserve.tf.zoo.MobileNetGraph;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes the MobileNetV2-shaped benchmark model, with random weights, as a repository model. */
@Command(
    name = "mobilenet",
    mixinStandardHelpOptions = true,
    description = {
      "Builds a MobileNetV2-shaped ConvNet for 224x224 RGB images with random weights (a",
      "compute-bound model for load tests) as <out>/1/ with <out>/model.yaml and <out>/MODEL_CARD.md."
    })
final class MobileNetCommand implements Callable<Integer> {
  @Option(names = "--out", required = true, description = "Model directory.")
  Path out;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Random seed of the weights (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    Files.createDirectories(out);
    MobileNetGraph.export(out.resolve("1"), seed);
    Files.writeString(
        out.resolve("model.yaml"),
        """
        # A MobileNetV2-shaped ConvNet with random weights, for load tests.
        image:
          signature: serving_default
          input: images
          output: probabilities
          height: 224
          width: 224
          channels: 3
          scale: 0.00784313725490196   # pixel / 127.5 - 1, MobileNetV2's input range
          offset: -1.0
        features:
          signature: features
          output: features
        """);
    Files.writeString(
        out.resolve("MODEL_CARD.md"),
        String.format(
            Locale.ROOT,
            """
            # mobilenet-v2-random

            A ConvNet of MobileNetV2's shape (width 1.0, 224x224x3 input, seventeen inverted residual
            blocks, 1280 features, 1000 classes; %.0f million multiply-adds per image), built by
            `tuneserve zoo mobilenet --seed %d`. **Its weights are random**: it classifies nothing
            and exists to load the server with a compute-bound model in `load-tests/`. Batch
            normalisation is folded into biases; inputs are pixels scaled to [-1, 1].
            Signatures: `serving_default` (`images` -> `probabilities`, `logits`) and `features`.
            """,
            MobileNetGraph.multiplyAdds() / 1e6,
            seed));
    System.out.println("wrote " + out);
    return 0;
  }
}
