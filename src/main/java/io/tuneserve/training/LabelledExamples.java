package io.tuneserve.training;

import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import java.util.ArrayList;
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

  /**
   * Holds out the examples whose content falls in the first {@code fraction} of a fixed hash of
   * their content ({@link ImageRows#contentKey}): an example is held out in every job that has it,
   * whatever else the job has, so a version trained on a set never trained on what a later job over
   * a superset holds out, and duplicates never straddle the split. Where that holds out none or all
   * (a handful of examples), the {@code floor(count * fraction)} lowest by the same hash are held
   * out instead.
   */
  private static final int MIN_HELD_BY_HASH = 20;

  public Split heldOutByContent(double fraction) {
    int n = labels.length;
    double[] position = new double[n];
    List<Integer> held = new ArrayList<>();
    List<Integer> kept = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      position[i] = unitInterval(images.contentKey(i));
      (position[i] < fraction ? held : kept).add(i);
    }
    if (n * fraction < MIN_HELD_BY_HASH || held.isEmpty() || kept.isEmpty()) {
      Integer[] order = new Integer[n];
      Arrays.setAll(order, i -> i);
      Arrays.sort(order, (a, b) -> Double.compare(position[a], position[b]));
      int count = (int) Math.floor(n * fraction);
      if (count == 0 || count >= n) {
        return new Split(this, null);
      }
      held = Arrays.asList(order).subList(0, count);
      kept = Arrays.asList(order).subList(count, n);
    }
    return new Split(
        subset(kept.stream().mapToInt(Integer::intValue).toArray()),
        subset(held.stream().mapToInt(Integer::intValue).toArray()));
  }

  /** A key mixed (SplitMix64's finalizer) into a uniform number in [0, 1). */
  private static double unitInterval(long key) {
    long z = key + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z = z ^ (z >>> 31);
    return (z >>> 11) * 0x1.0p-53;
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
