package io.tuneserve.tf;

import io.tuneserve.model.FeatureLayers;
import io.tuneserve.model.Layer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TFloat32;

/**
 * Gives a model whose layers are in its graph a features signature when it has none under the
 * default key {@code features}, or when its settings name the layers: the serving signature's
 * input, and as outputs the top-layer CNN codes ({@code features}) and an earlier block's ({@code
 * earlier}), each a {@code [batch, features]} tensor (four-dimensional activations averaged over
 * height and width, others flattened).
 */
final class FeatureSignature {
  private static final String METHOD = "tensorflow/serving/predict";

  private FeatureSignature() {}

  /** The signatures with the features signature added or replaced, and a note on what was done. */
  record Result(Map<String, SignatureDef> signatures, String note) {}

  static Result add(
      Graph graph,
      GraphDef definition,
      Map<String, SignatureDef> signatures,
      FeatureLayers layers) {
    String key = layers.signature();
    if (layers.layer() == null && (signatures.containsKey(key) || !key.equals(FeatureLayers.TOP))) {
      return new Result(signatures, "");
    }
    SignatureDef serving = signatures.get("serving_default");
    if (serving == null || serving.getInputsCount() != 1) {
      return new Result(
          signatures, "no features: no serving_default signature with one input to start from");
    }
    LayerCatalog catalog = new LayerCatalog(graph, definition);
    String output = classificationOutput(serving, catalog);
    if (output == null) {
      return new Result(signatures, "no features: serving_default has no [batch, classes] output");
    }
    String top;
    if (layers.layer() != null) {
      top = resolve(catalog, output, layers.layer());
    } else {
      StringBuilder why = new StringBuilder();
      Optional<String> found = catalog.codesFeeding(output, why);
      if (found.isEmpty()) {
        return new Result(signatures, "no automatic features: " + why);
      }
      top = found.get();
    }
    String earlier =
        layers.earlierLayer() != null
            ? resolve(catalog, output, layers.earlierLayer())
            : catalog.earlierThan(top);
    Ops tf = Ops.create(graph).withSubScope(uniqueScope(graph));
    SignatureDef.Builder features =
        SignatureDef.newBuilder()
            .setMethodName(METHOD)
            .putAllInputs(serving.getInputsMap())
            .putOutputs(FeatureLayers.TOP, info(codes(tf, graph, top, FeatureLayers.TOP)));
    if (earlier != null) {
      features.putOutputs(
          FeatureLayers.EARLIER, info(codes(tf, graph, earlier, FeatureLayers.EARLIER)));
    }
    Map<String, SignatureDef> all = new LinkedHashMap<>(signatures);
    all.put(key, features.build());
    return new Result(
        Map.copyOf(all),
        "features from " + top + (earlier == null ? "" : ", earlier features from " + earlier));
  }

  /** The serving output of class scores: the first {@code [batch, n]} float output. */
  static String classificationOutput(SignatureDef serving, LayerCatalog catalog) {
    return serving.getOutputsMap().values().stream()
        .filter(info -> info.getDtype() == DataType.DT_FLOAT)
        .map(TensorInfo::getName)
        .filter(name -> rank(catalog.shape(name)) == 2)
        .sorted()
        .findFirst()
        .orElse(null);
  }

  /** A tensor, op or layer name as a tensor of the graph. */
  private static String resolve(LayerCatalog catalog, String output, String layer) {
    if (catalog.operation(layer) != null) {
      return layer.contains(":") ? layer : layer + ":0";
    }
    List<Layer> layers = catalog.layers(output);
    return layers.stream()
        .filter(candidate -> candidate.name().equals(layer))
        .map(Layer::tensor)
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "the model has no layer or tensor '"
                        + layer
                        + "'; its layers are "
                        + layers.stream().map(Layer::name).toList()));
  }

  @SuppressWarnings("unchecked")
  private static Output<TFloat32> codes(Ops tf, Graph graph, String tensor, String name) {
    Output<?> source = graph.outputOrThrow(tensor);
    if (source.dataType() != DataType.DT_FLOAT) {
      throw new IllegalArgumentException(tensor + " is not a float tensor");
    }
    Operand<TFloat32> values = (Operand<TFloat32>) source;
    Shape shape = source.shape();
    if (shape.isUnknown()) {
      throw new IllegalArgumentException(tensor + " has no known rank");
    }
    int rank = shape.numDimensions();
    if (rank == 4) {
      return tf.withName(name).math.mean(values, tf.constant(new int[] {1, 2})).asOutput();
    }
    if (rank == 2) {
      return tf.withName(name).identity(values).asOutput();
    }
    long size = 1;
    for (int i = 1; i < rank; i++) {
      if (shape.get(i) < 0) {
        throw new IllegalArgumentException(tensor + " has shape " + shape + ", not flattenable");
      }
      size *= shape.get(i);
    }
    return tf.withName(name).reshape(values, tf.constant(new long[] {-1, size})).asOutput();
  }

  private static TensorInfo info(Output<TFloat32> codes) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long dim : codes.shape().asArray()) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(dim));
    }
    return TensorInfo.newBuilder()
        .setName(codes.op().name() + ":" + codes.index())
        .setDtype(DataType.DT_FLOAT)
        .setTensorShape(shape)
        .build();
  }

  private static int rank(long[] shape) {
    return shape == null ? -1 : shape.length;
  }

  private static String uniqueScope(Graph graph) {
    String scope = "cnn_codes";
    for (int i = 2; graph.operation(scope + "/" + FeatureLayers.TOP) != null; i++) {
      scope = "cnn_codes_" + i;
    }
    return scope;
  }
}
