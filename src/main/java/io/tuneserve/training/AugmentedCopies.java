package io.tuneserve.training;

import io.tuneserve.model.TensorData;
import java.security.MessageDigest;
import java.util.Random;

/**
 * A training set with changed copies of its images after the originals: row {@code c * n + i} is
 * image {@code i} as it is ({@code c = 0}) or as the {@code c}-th copy changes it. Each copy is
 * drawn from a seed of its own, so reading a row twice gives the same image. This is how
 * classifiers on fixed CNN codes see augmented images: the codes of a few changed copies are
 * computed once.
 */
public final class AugmentedCopies implements ImageRows {
  private final ImageRows originals;
  private final Augmentation augmentation;
  private final int copies;
  private final long seed;

  private AugmentedCopies(ImageRows originals, Augmentation augmentation, int copies, long seed) {
    this.originals = originals;
    this.augmentation = augmentation;
    this.copies = copies;
    this.seed = seed;
  }

  /** The examples and {@code copies} changed copies of each, with their labels repeated. */
  public static LabelledExamples of(
      LabelledExamples examples, Augmentation augmentation, int copies, long seed) {
    if (augmentation.isNone() || copies == 0) {
      return examples;
    }
    int n = examples.count();
    int[] labels = new int[n * (copies + 1)];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = examples.labels()[i % n];
    }
    return new LabelledExamples(
        new AugmentedCopies(examples.images(), augmentation, copies, seed),
        labels,
        examples.classNames());
  }

  @Override
  public int count() {
    return originals.count() * (copies + 1);
  }

  @Override
  public long[] rowShape() {
    return originals.rowShape();
  }

  @Override
  public TensorData rows(int[] rows) {
    int n = originals.count();
    int[] sources = new int[rows.length];
    Random[] randoms = new Random[rows.length];
    for (int i = 0; i < rows.length; i++) {
      sources[i] = rows[i] % n;
      if (rows[i] >= n) {
        randoms[i] = new Random(seed * 1_000_003L + rows[i]);
      }
    }
    return augmentation.apply(originals.rows(sources), randoms);
  }

  /** A copy's key is its original's: the copies of an example are one example. */
  @Override
  public long contentKey(int row) {
    return originals.contentKey(row % originals.count());
  }

  @Override
  public void digest(MessageDigest digest) {
    originals.digest(digest);
  }

  @Override
  public java.util.Map<String, Object> origin() {
    return originals.origin();
  }
}
