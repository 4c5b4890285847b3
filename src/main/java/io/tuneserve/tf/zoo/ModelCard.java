package io.tuneserve.tf.zoo;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** The model card and repository settings written next to a pretrained zoo model. */
public record ModelCard(
    String name,
    long version,
    ConvNetTrainer.Settings settings,
    int trainImages,
    int testImages,
    double testAccuracy) {

  public String markdown() {
    return String.format(
        Locale.ROOT,
        """
        # %1$s

        A small ConvNet for 28x28 greyscale images, trained from scratch with TensorFlow Java by
        `tuneserve zoo pretrain`. It is the demo model served by default and the base for fine-tuning.

        ## Architecture
        | block | layers | output |
        |---|---|---|
        | `block1` | conv 3x3, 32 filters, ReLU, max-pool 2x2 | 14x14x32 |
        | `block2` | conv 3x3, 64 filters, ReLU, max-pool 2x2 | 7x7x64 |
        | `fc` | conv 7x7 VALID, 128 filters (a fully-connected layer as a convolution), ReLU, mean over space | 128 (the CNN codes) |
        | `head` | dense 128 -> 10, softmax | 10 |

        Input `images`: float32 `[batch, height, width, 1]`, pixels scaled to [0, 1], light garment on a
        dark background (as in Fashion-MNIST). The convolutional layers accept images larger than 28x28.

        ## Signatures
        - `serving_default`: `images` -> `probabilities`, `logits`
        - `features`: `images` -> `features` (ReLU'd 128-D CNN codes), `block2` (64-D), `block1` (32-D),
          each averaged over space
        - `train_step`: `images`, `labels` (int64 class ids), `lr_base`, `lr_head` -> `loss`; applies one
          momentum (0.9) step, `lr_base` to the blocks and `lr_head` to the head

        ## Data and training
        Fashion-MNIST (Zalando Research, MIT licence): %3$d training images, 10 classes. %4$d epochs of
        momentum SGD, batch size %5$d, learning rate %6$s, seed %7$d.

        ## Evaluation
        Test accuracy on the %8$d Fashion-MNIST test images: **%9$.4f**.

        ## Reproduce
        ```
        apt-get install -y dataset-fashion-mnist
        java -jar target/tuneserve.jar zoo pretrain --out models/%1$s --model-version %2$d --epochs %4$d \\
          --batch-size %5$d --learning-rate %6$s --seed %7$d
        ```
        """,
        name,
        version,
        trainImages,
        settings.epochs(),
        settings.batchSize(),
        Float.toString(settings.learningRate()),
        settings.seed(),
        testImages,
        testAccuracy);
  }

  /** Repository settings for the model: labels and how images become input tensors. */
  public String modelYaml(List<String> labels) {
    String labelList =
        labels.stream().map(l -> "  - \"" + l + "\"").collect(Collectors.joining("\n"));
    return """
        # Settings for this model in a tuneserve model repository.
        # Which versions to serve: latest: N | all: true | specific: [1, 2]
        version_policy:
          latest: 1
        # Class names, in the order of the model's output units.
        labels:
        %s
        # How PNG/JPEG images are turned into the input tensor (classify-image and b64 images).
        image:
          signature: serving_default   # signature that classifies
          input: images                # its image input
          output: probabilities        # its output of class scores
          height: 28                   # images are resized to height x width
          width: 28
          channels: 1                  # 1 = greyscale, 3 = RGB
          scale: 0.00392156862745098   # input = pixel * scale + offset (pixel in 0..255)
          offset: 0.0
        # Where the CNN codes come from (used by fine-tuning).
        features:
          signature: features
          output: features             # the ReLU'd top-layer CNN codes
          earlier_output: block2       # pooled activations of an earlier block (targets unlike the data)
        """
        .formatted(labelList);
  }
}
