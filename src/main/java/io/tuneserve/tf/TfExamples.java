package io.tuneserve.tf;

import com.google.protobuf.ByteString;
import io.tuneserve.model.ExampleFeature;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.BytesList;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.FloatList;
import org.tensorflow.proto.Int64List;

/** Serializes {@code tf.Example}s, the string input of classify, regress and parsing graphs. */
public final class TfExamples {
  private TfExamples() {}

  /**
   * One serialized {@code tf.Example} per map of features. With a context, each example is the
   * context's features overlaid by its own, as TF Serving merges an {@code ExampleListWithContext}.
   */
  public static byte[][] serialize(
      List<Map<String, ExampleFeature>> examples, Map<String, ExampleFeature> context) {
    byte[][] serialized = new byte[examples.size()][];
    for (int i = 0; i < serialized.length; i++) {
      Features.Builder features = Features.newBuilder();
      context.forEach((name, feature) -> features.putFeature(name, proto(feature)));
      examples.get(i).forEach((name, feature) -> features.putFeature(name, proto(feature)));
      serialized[i] = Example.newBuilder().setFeatures(features).build().toByteArray();
    }
    return serialized;
  }

  private static Feature proto(ExampleFeature feature) {
    if (feature instanceof ExampleFeature.Bytes bytes) {
      BytesList.Builder list = BytesList.newBuilder();
      bytes.values().forEach(value -> list.addValue(ByteString.copyFrom(value)));
      return Feature.newBuilder().setBytesList(list).build();
    }
    if (feature instanceof ExampleFeature.Floats floats) {
      return Feature.newBuilder()
          .setFloatList(FloatList.newBuilder().addAllValue(floats.values()))
          .build();
    }
    ExampleFeature.Int64s ints = (ExampleFeature.Int64s) feature;
    return Feature.newBuilder()
        .setInt64List(Int64List.newBuilder().addAllValue(ints.values()))
        .build();
  }
}
