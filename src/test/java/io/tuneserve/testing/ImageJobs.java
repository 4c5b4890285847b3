package io.tuneserve.testing;

import io.tuneserve.data.FashionMnist;
import io.tuneserve.data.LabelledImages;
import java.io.IOException;

/**
 * Fine-tuning requests built from 28x28 greyscale images (Fashion-MNIST's test set unless given),
 * sent as raw tensors.
 */
public final class ImageJobs {
  private final LabelledImages images;

  public ImageJobs() throws IOException {
    this(new FashionMnist(FashionMnist.DEFAULT_DIRECTORY).test());
  }

  public ImageJobs(LabelledImages images) {
    this.images = images;
  }

  public LabelledImages images() {
    return images;
  }

  /** Image {@code index} as a 28x28x1 JSON array of pixel values in 0..1. */
  public String image(int index) {
    return image(index, 28);
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
    return body("fashion-convnet", target, options, instances, labels);
  }

  /**
   * A job for any base over the first {@code count} images of the classes {@code names} names
   * (class i is {@code names[i]}), each resized to {@code size x size x 1} (nearest pixel).
   */
  public String job(
      String base, String target, String[] names, int count, int size, String options) {
    StringBuilder instances = new StringBuilder();
    StringBuilder labels = new StringBuilder();
    int added = 0;
    for (int i = 0; added < count; i++) {
      int label = images.labels()[i];
      if (label < names.length) {
        instances.append(added == 0 ? "" : ",").append(image(i, size));
        labels.append(added == 0 ? "" : ",").append('"').append(names[label]).append('"');
        added++;
      }
    }
    return body(base, target, options, instances, labels);
  }

  /** Image {@code index} as a size x size x 1 JSON array (nearest pixel of the 28x28 image). */
  public String image(int index, int size) {
    StringBuilder json = new StringBuilder("[");
    for (int y = 0; y < size; y++) {
      json.append(y == 0 ? "[" : ",[");
      for (int x = 0; x < size; x++) {
        int source = index * 784 + (y * 28 / size) * 28 + x * 28 / size;
        json.append(x == 0 ? "[" : ",[").append(images.pixels()[source]).append(']');
      }
      json.append(']');
    }
    return json.append(']').toString();
  }

  /** A job request: instances and labels are the JSON array elements, comma-separated. */
  public static String body(
      String base, String target, String options, CharSequence instances, CharSequence labels) {
    return "{\"base_model\": \""
        + base
        + "\", \"target_model\": \""
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
