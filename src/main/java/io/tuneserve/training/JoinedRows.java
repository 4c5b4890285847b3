package io.tuneserve.training;

import io.tuneserve.model.TensorData;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Several sets of rows as one, each after the other: a dataset and the feedback added to it. */
final class JoinedRows implements ImageRows {
  private final List<ImageRows> parts;
  private final int[] starts;
  private final int count;

  JoinedRows(List<ImageRows> parts) {
    this.parts = List.copyOf(parts);
    this.starts = new int[parts.size()];
    int total = 0;
    for (int i = 0; i < parts.size(); i++) {
      starts[i] = total;
      total += parts.get(i).count();
    }
    this.count = total;
    long[] shape = parts.get(0).rowShape();
    for (ImageRows part : parts) {
      if (!Arrays.equals(part.rowShape(), shape)) {
        throw io.tuneserve.model.ServingException.invalid(
            "the datasets of a job must hold images of one shape; got "
                + Arrays.toString(shape)
                + " and "
                + Arrays.toString(part.rowShape()));
      }
    }
  }

  @Override
  public int count() {
    return count;
  }

  @Override
  public long[] rowShape() {
    return parts.get(0).rowShape();
  }

  @Override
  public TensorData rows(int[] rows) {
    List<TensorData> pieces = new ArrayList<>(rows.length);
    for (int row : rows) {
      int part = partOf(row);
      pieces.add(parts.get(part).rows(new int[] {row - starts[part]}));
    }
    return TensorData.concat(pieces);
  }

  @Override
  public long contentKey(int row) {
    int part = partOf(row);
    return parts.get(part).contentKey(row - starts[part]);
  }

  private int partOf(int row) {
    int found = Arrays.binarySearch(starts, row);
    if (found >= 0) {
      // Empty parts share a start with the next one: take the last part starting here.
      while (found + 1 < starts.length && starts[found + 1] == row) {
        found++;
      }
      return found;
    }
    return -found - 2;
  }

  @Override
  public void digest(MessageDigest digest) {
    parts.forEach(part -> part.digest(digest));
  }

  @Override
  public Map<String, Object> origin() {
    Map<String, Object> origin = new LinkedHashMap<>();
    origin.put("datasets", parts.stream().map(ImageRows::origin).toList());
    return origin;
  }

  @Override
  public void close() {
    parts.forEach(ImageRows::close);
  }
}
