package io.tuneserve.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The Fashion-MNIST data set as Debian's dataset-fashion-mnist package installs it. */
public final class FashionMnist {
  public static final Path DEFAULT_DIRECTORY = Path.of("/usr/share/datasets/fashion-mnist");
  public static final List<String> LABELS =
      List.of(
          "T-shirt/top",
          "Trouser",
          "Pullover",
          "Dress",
          "Coat",
          "Sandal",
          "Shirt",
          "Sneaker",
          "Bag",
          "Ankle boot");

  private final Path directory;

  public FashionMnist(Path directory) {
    this.directory = directory;
  }

  public LabelledImages train() throws IOException {
    return split("train");
  }

  public LabelledImages test() throws IOException {
    return split("t10k");
  }

  private LabelledImages split(String prefix) throws IOException {
    Path images = directory.resolve(prefix + "-images-idx3-ubyte.gz");
    Path labels = directory.resolve(prefix + "-labels-idx1-ubyte.gz");
    if (!Files.exists(images) || !Files.exists(labels)) {
      throw new IOException(
          "Fashion-MNIST not found in "
              + directory
              + " (install it with: apt-get install -y dataset-fashion-mnist)");
    }
    return IdxFiles.read(images, labels);
  }
}
