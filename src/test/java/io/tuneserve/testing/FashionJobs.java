package io.tuneserve.testing;

import io.tuneserve.data.FashionMnist;
import io.tuneserve.data.LabelledImages;
import java.io.IOException;

/** Fine-tuning requests built from Fashion-MNIST test images, sent as raw tensors. */
public final class FashionJobs {
  private final LabelledImages images;

  public FashionJobs() throws IOException {
    this.images = new FashionMnist(FashionMnist.DEFAULT_DIRECTORY).test();
  }

  public LabelledImages images() {
    return images;
  }

  /** Image {@code index} as a 28x28x1 JSON array of pixel values in 0..1. */
  public String image(int index) {
    StringBuilder json = new StringBuilder("[");
    for (int y = 0; y < 28; y++) {
      json.append(y == 0 ? "[" : ",[");
      for (int x = 0; x < 28; x++) {
        json.append(x == 0 ? "[" : ",[")
            .append(images.pixels()[index * 784 + y * 28 + x])
            .append(']');
      }
      json.append(']');
    }
    return json.append(']').toString();
  }

  /**
   * A job over images {@code from .. from + count - 1}, each labelled {@code names[its class]}.
   *
   * @param options more fields of the request, e.g. {@code "strategy": "fine_tune"}
   */
  public String job(String target, String[] names, int from, int count, String options) {
    StringBuilder instances = new StringBuilder();
    StringBuilder labels = new StringBuilder();
    for (int i = from; i < from + count; i++) {
      instances.append(i == from ? "" : ",").append(image(i));
      labels.append(i == from ? "" : ",").append('"').append(names[images.labels()[i]]).append('"');
    }
    return "{\"base_model\": \"fashion-convnet\", \"target_model\": \""
        + target
        + "\", "
        + options
        + ", \"instances\": ["
        + instances
        + "], \"labels\": ["
        + labels
        + "]}";
  }
}
