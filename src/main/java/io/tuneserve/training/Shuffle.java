package io.tuneserve.training;

import java.util.Random;

/** Fisher-Yates shuffling of example indices, for every training loop. */
public final class Shuffle {
  private Shuffle() {}

  public static void indices(int[] values, Random random) {
    for (int i = values.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = values[i];
      values[i] = values[j];
      values[j] = t;
    }
  }
}
