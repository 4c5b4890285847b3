package io.tuneserve.training;

import io.tuneserve.model.TensorData;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The inputs of a training set, read by row: held in memory, or decoded from a stored dataset as
 * batches need them, so a job's memory does not grow with its dataset.
 */
public interface ImageRows extends AutoCloseable {
  /** How many rows there are. */
  int count();

  /** The shape of one row, such as {@code [height, width, channels]}. */
  long[] rowShape();

  /** The given rows, in the given order, as one tensor {@code [rows.length, ...rowShape]}. */
  TensorData rows(int[] rows);

  /** Feeds what identifies the content to {@code digest}, for a job's data fingerprint. */
  void digest(MessageDigest digest);

  /**
   * A number that identifies row {@code row}'s content: equal for equal content, wherever the row
   * sits in whichever set, so a split by content holds the same examples out in every job. Hashes
   * the decoded row unless the rows know a hash of what they store.
   */
  default long contentKey(int row) {
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    byte[] raw = rows(new int[] {row}).raw();
    crc.update(raw);
    return crc.getValue() << 32 | (raw.length & 0xffffffffL);
  }

  /** Where the rows come from, for a version's lineage; empty for rows sent with the job. */
  default java.util.Map<String, Object> origin() {
    return java.util.Map.of();
  }

  /** Lets go of what reading the rows holds open. */
  @Override
  default void close() {}

  /** Rows {@code [from, from + count)}. */
  default TensorData range(int from, int count) {
    int[] rows = new int[count];
    Arrays.setAll(rows, i -> from + i);
    return rows(rows);
  }

  /** These rows at the given indices, in that order. */
  default ImageRows subset(int[] indices) {
    ImageRows all = this;
    int[] chosen = indices.clone();
    return new ImageRows() {
      @Override
      public int count() {
        return chosen.length;
      }

      @Override
      public long[] rowShape() {
        return all.rowShape();
      }

      @Override
      public TensorData rows(int[] rows) {
        int[] mapped = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
          mapped[i] = chosen[rows[i]];
        }
        return all.rows(mapped);
      }

      @Override
      public java.util.Map<String, Object> origin() {
        return all.origin();
      }

      @Override
      public long contentKey(int row) {
        return all.contentKey(chosen[row]);
      }

      @Override
      public void digest(MessageDigest digest) {
        all.digest(digest);
        for (int index : chosen) {
          digest.update(
              new byte[] {
                (byte) (index >>> 24), (byte) (index >>> 16), (byte) (index >>> 8), (byte) index
              });
        }
      }
    };
  }

  /** Rows of a tensor held in memory. */
  static ImageRows of(TensorData all) {
    return new ImageRows() {
      @Override
      public int count() {
        return all.rank() < 1 ? 0 : Math.toIntExact(all.dim(0));
      }

      @Override
      public long[] rowShape() {
        return Arrays.copyOfRange(all.shape(), 1, all.rank());
      }

      @Override
      public TensorData rows(int[] rows) {
        return all.selectRows(rows);
      }

      @Override
      public TensorData range(int from, int count) {
        return all.rows(from, count);
      }

      @Override
      public void digest(MessageDigest digest) {
        digest.update(all.raw());
      }
    };
  }
}
