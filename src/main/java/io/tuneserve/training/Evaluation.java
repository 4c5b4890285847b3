package io.tuneserve.training;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a classifier did on a set of labelled examples: the confusion matrix (rows are the true
 * classes, columns the predicted ones) and what follows from it, accuracy and each class's
 * precision, recall and F1.
 *
 * @param split where the examples came from ({@code validation}: the job's held-out split)
 * @param classes the class names, in label order
 * @param confusion {@code confusion[true][predicted]} counts
 */
public record Evaluation(String split, List<String> classes, int[][] confusion) {

  public Evaluation {
    if (confusion.length != classes.size()) {
      throw new IllegalArgumentException(
          "the confusion matrix has "
              + confusion.length
              + " rows for "
              + classes.size()
              + " classes");
    }
    for (int[] row : confusion) {
      if (row.length != classes.size()) {
        throw new IllegalArgumentException("the confusion matrix must be square");
      }
    }
    classes = List.copyOf(classes);
  }

  /** Counts the pairs of true and predicted labels (both in {@code 0..classes-1}). */
  public static Evaluation of(String split, List<String> classes, int[] truth, int[] predicted) {
    if (truth.length != predicted.length) {
      throw new IllegalArgumentException("one prediction per example is needed");
    }
    int[][] confusion = new int[classes.size()][classes.size()];
    for (int i = 0; i < truth.length; i++) {
      confusion[truth[i]][predicted[i]]++;
    }
    return new Evaluation(split, classes, confusion);
  }

  public int examples() {
    int total = 0;
    for (int[] row : confusion) {
      for (int count : row) {
        total += count;
      }
    }
    return total;
  }

  public double accuracy() {
    int correct = 0;
    for (int c = 0; c < confusion.length; c++) {
      correct += confusion[c][c];
    }
    return ratio(correct, examples());
  }

  /** Of the examples predicted as {@code c}, the share that are {@code c}; NaN when none were. */
  public double precision(int c) {
    int predicted = 0;
    for (int[] row : confusion) {
      predicted += row[c];
    }
    return ratio(confusion[c][c], predicted);
  }

  /**
   * Of the examples of class {@code c}, the share predicted as {@code c}; NaN when there are none.
   */
  public double recall(int c) {
    return ratio(confusion[c][c], support(c));
  }

  /** The harmonic mean of precision and recall; 0 when both are 0, NaN when either is undefined. */
  public double f1(int c) {
    double p = precision(c);
    double r = recall(c);
    if (Double.isNaN(p) || Double.isNaN(r)) {
      return Double.NaN;
    }
    return p + r == 0 ? 0 : 2 * p * r / (p + r);
  }

  /** Examples whose true class is {@code c}. */
  public int support(int c) {
    int count = 0;
    for (int value : confusion[c]) {
      count += value;
    }
    return count;
  }

  /**
   * The report as plain maps and lists, for JSON: undefined figures (a class never predicted, or
   * absent from the split) are null.
   */
  public Map<String, Object> toMap() {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("split", split);
    report.put("examples", examples());
    report.put("accuracy", accuracy());
    List<Map<String, Object>> perClass = new ArrayList<>();
    for (int c = 0; c < classes.size(); c++) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("class", classes.get(c));
      row.put("precision", defined(precision(c)));
      row.put("recall", defined(recall(c)));
      row.put("f1", defined(f1(c)));
      row.put("support", support(c));
      perClass.add(row);
    }
    report.put("classes", perClass);
    List<List<Integer>> matrix = new ArrayList<>();
    for (int[] row : confusion) {
      List<Integer> counts = new ArrayList<>();
      for (int count : row) {
        counts.add(count);
      }
      matrix.add(counts);
    }
    report.put("confusion_matrix", matrix);
    return report;
  }

  private static Double defined(double value) {
    return Double.isNaN(value) ? null : value;
  }

  private static double ratio(int part, int whole) {
    return whole == 0 ? Double.NaN : part / (double) whole;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Evaluation e
        && e.split.equals(split)
        && e.classes.equals(classes)
        && java.util.Arrays.deepEquals(e.confusion, confusion);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * split.hashCode() + classes.hashCode())
        + java.util.Arrays.deepHashCode(confusion);
  }

  @Override
  public String toString() {
    return "Evaluation["
        + split
        + ", "
        + classes
        + ", "
        + java.util.Arrays.deepToString(confusion)
        + "]";
  }
}
