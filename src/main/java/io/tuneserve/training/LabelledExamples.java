package io.tuneserve.training;

import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import java.util.Arrays;
import java.util.List;

/**
 * Training data: images as rows {@code [height, width, channels]} (in memory or read from a stored
 * dataset), a class index per image, and the class names in index order.
 */
@SuppressWarnings("ArrayRecordComponent") // built once by the decoder, never modified
public record LabelledExamples(ImageRows images, int[] labels, List<String> classNames) {

  /** Checks that labels match images and that there are at least two classes. */
  public LabelledExamples {
    classNames = List.copyOf(classNames);
    if (images.count() != labels.length) {
      throw ServingException.invalid(
          "there are " + images.count() + " images but " + labels.length + " labels");
    }
    if (labels.length == 0) {
      throw ServingException.invalid("the upload holds no examples");
    }
    if (classNames.size() < 2) {
      throw ServingException.invalid(
          "a classifier needs at least two classes; the labels name only " + classNames);
    }
    int classes = classNames.size();
    if (Arrays.stream(labels).anyMatch(l -> l < 0 || l >= classes)) {
      throw ServingException.invalid("a label index is outside the class list " + classNames);
    }
  }

  /** Examples held in memory as one tensor {@code [n, height, width, channels]}. */
  public LabelledExamples(TensorData images, int[] labels, List<String> classNames) {
    this(ImageRows.of(images), labels, classNames);
  }

  public int count() {
    return labels.length;
  }
}
