package io.tuneserve.training;

import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

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

  /**
   * Rows labelled with class indices into their own class names; one part may name a single class,
   * or classes the others do not have.
   */
  @SuppressWarnings("ArrayRecordComponent") // read once, by joined
  public record Part(ImageRows images, int[] labels, List<String> classNames) {}

  /**
   * The parts as one set, one after the other, labelled with every class any part names (sorted by
   * name, as a job's classes are).
   */
  public static LabelledExamples joined(List<Part> parts) {
    java.util.TreeSet<String> names = new java.util.TreeSet<>();
    parts.forEach(part -> names.addAll(part.classNames()));
    List<String> classes = List.copyOf(names);
    int[] labels = new int[parts.stream().mapToInt(part -> part.labels().length).sum()];
    int at = 0;
    for (Part part : parts) {
      for (int label : part.labels()) {
        labels[at++] = classes.indexOf(part.classNames().get(label));
      }
    }
    ImageRows rows =
        parts.size() == 1
            ? parts.get(0).images()
            : new JoinedRows(parts.stream().map(Part::images).toList());
    return new LabelledExamples(rows, labels, classes);
  }

  /** A training set and the examples held out from it to judge each epoch by. */
  public record Split(LabelledExamples train, LabelledExamples validation) {
    /** Whether examples were held out; {@link #validation} is null when none were. */
    public boolean heldOut() {
      return validation != null;
    }
  }

  /**
   * Holds out {@code floor(count * fraction)} examples chosen at random by {@code seed}: the same
   * fraction and seed always hold out the same examples. Nothing is held out when that is none, or
   * when it would leave nothing to train on.
   */
  public Split split(double fraction, long seed) {
    int[] order = new int[labels.length];
    Arrays.setAll(order, i -> i);
    Shuffle.indices(order, new Random(seed));
    int held = (int) Math.floor(labels.length * fraction);
    if (held == 0 || held >= labels.length) {
      return new Split(this, null);
    }
    return new Split(
        subset(Arrays.copyOfRange(order, held, order.length)),
        subset(Arrays.copyOfRange(order, 0, held)));
  }

  /** These examples at the given indices, in that order, read from the same images. */
  public LabelledExamples subset(int[] indices) {
    int[] chosen = new int[indices.length];
    for (int i = 0; i < indices.length; i++) {
      chosen[i] = labels[indices[i]];
    }
    return new LabelledExamples(images.subset(indices), chosen, classNames);
  }

  /**
   * The same examples with their labels numbered by another class list, such as a validation set's
   * by its training set's classes; a label that list does not hold is refused, naming {@code what}
   * the examples are.
   */
  public LabelledExamples labelledAs(List<String> classes, String what) {
    int[] mapped = new int[labels.length];
    for (int i = 0; i < labels.length; i++) {
      String name = classNames.get(labels[i]);
      int index = classes.indexOf(name);
      if (index < 0) {
        throw ServingException.invalid(
            what + " has examples of class '" + name + "', which the training data has none of");
      }
      mapped[i] = index;
    }
    return new LabelledExamples(images, mapped, classes);
  }
}
