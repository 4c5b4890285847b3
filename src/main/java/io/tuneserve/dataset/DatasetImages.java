package io.tuneserve.dataset;

import io.tuneserve.image.ImageDecoder;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import io.tuneserve.training.ImageRows;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A dataset version's images as a model takes them: each batch is read from the segment files and
 * decoded when it is asked for, so memory holds one batch, not the dataset.
 */
public final class DatasetImages implements ImageRows {
  private final DatasetReader reader;
  private final ImageDecoder decoder;
  private long[] rowShape;

  public DatasetImages(DatasetReader reader, ImageDecoder decoder) {
    this.reader = reader;
    this.decoder = decoder;
  }

  @Override
  public int count() {
    return reader.count();
  }

  @Override
  public synchronized long[] rowShape() {
    if (rowShape == null) {
      long[] first = decode(0).shape();
      rowShape = java.util.Arrays.copyOfRange(first, 1, first.length);
    }
    return rowShape.clone();
  }

  @Override
  public TensorData rows(int[] rows) {
    List<TensorData> decoded = new ArrayList<>(rows.length);
    for (int row : rows) {
      TensorData image = decode(row);
      if (!decoded.isEmpty() && !decoded.get(0).sameTrailingShape(image)) {
        throw ServingException.invalid(
            "images of dataset "
                + reader.name()
                + " differ in size and the model takes any size; give the job an image_size");
      }
      decoded.add(image);
    }
    return TensorData.concat(decoded);
  }

  private TensorData decode(int row) {
    try {
      TensorData image = decoder.decode(reader.image(row));
      long[] shape = image.shape();
      long[] batch = new long[shape.length + 1];
      batch[0] = 1;
      System.arraycopy(shape, 0, batch, 1, shape.length);
      return TensorData.ofRaw(image.dtype(), batch, image.raw());
    } catch (ServingException e) {
      throw ServingException.invalid(
          "example " + row + " of dataset " + reader.name() + ": " + e.getMessage());
    }
  }

  @Override
  public Map<String, Object> origin() {
    Map<String, Object> origin = new LinkedHashMap<>();
    origin.put("dataset", reader.version().name());
    origin.put("dataset_version", reader.version().version());
    origin.put("dataset_sha256", reader.version().sha256());
    return origin;
  }

  @Override
  public void close() {
    reader.close();
  }

  @Override
  public long contentKey(int row) {
    return reader.contentKey(row);
  }

  @Override
  public void digest(MessageDigest digest) {
    digest.update(reader.version().sha256().getBytes(StandardCharsets.US_ASCII));
  }
}
