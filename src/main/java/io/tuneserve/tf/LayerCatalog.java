package io.tuneserve.tf;

import io.tuneserve.model.Layer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * The layers of a graph that could give features, found by walking back from a model output, and
 * the one whose output feeds the final classification layer (the top-layer CNN codes).
 */
final class LayerCatalog {
  private static final Map<String, String> KINDS =
      Map.ofEntries(
          Map.entry("Conv2D", "conv"),
          Map.entry("DepthwiseConv2dNative", "conv"),
          Map.entry("MatMul", "dense"),
          Map.entry("Relu", "activation"),
          Map.entry("Relu6", "activation"),
          Map.entry("Elu", "activation"),
          Map.entry("Selu", "activation"),
          Map.entry("LeakyRelu", "activation"),
          Map.entry("Softplus", "activation"),
          Map.entry("Sigmoid", "activation"),
          Map.entry("Tanh", "activation"),
          Map.entry("MaxPool", "pooling"),
          Map.entry("AvgPool", "pooling"),
          Map.entry("Mean", "global_pooling"),
          Map.entry("Max", "global_pooling"),
          Map.entry("Reshape", "flatten"),
          Map.entry("FusedBatchNorm", "batch_norm"),
          Map.entry("FusedBatchNormV2", "batch_norm"),
          Map.entry("FusedBatchNormV3", "batch_norm"),
          Map.entry("Add", "add"),
          Map.entry("AddV2", "add"),
          Map.entry("ConcatV2", "concat"),
          Map.entry("Softmax", "softmax"));

  /** Ops between a classification layer and the output: activations, pooling, bias, identity. */
  private static final Set<String> HEAD_OPS =
      Set.of(
          "Identity",
          "IdentityN",
          "Softmax",
          "Sigmoid",
          "BiasAdd",
          "Add",
          "AddV2",
          "Mean",
          "Reshape",
          "Squeeze");

  private static final Set<String> WEIGHT_OPS =
      Set.of("Const", "VariableV2", "VarHandleOp", "ReadVariableOp", "Identity");

  private static final Pattern CALL_SCOPE = Pattern.compile("(Stateful)?PartitionedCall(_\\d+)?");

  private final Graph graph;
  private final Map<String, NodeDef> nodes = new HashMap<>();

  LayerCatalog(Graph graph, GraphDef definition) {
    this.graph = graph;
    definition.getNodeList().forEach(node -> nodes.put(node.getName(), node));
  }

  /** The layers the output depends on, nearest the output first. */
  List<Layer> layers(String output) {
    Map<String, Integer> distance = distances(output);
    String modelScope = modelScope(distance.keySet());
    Map<String, Layer> byScope = new LinkedHashMap<>();
    distance.entrySet().stream()
        .sorted(Map.Entry.comparingByValue())
        .forEach(
            entry -> {
              NodeDef node = nodes.get(entry.getKey());
              String kind = kind(node);
              if (kind == null) {
                return;
              }
              String layer = layerName(node.getName(), modelScope);
              byScope.putIfAbsent(
                  layer,
                  new Layer(
                      layer,
                      node.getName() + ":0",
                      kind,
                      node.getOp(),
                      shape(node.getName()),
                      entry.getValue()));
            });
    List<Layer> layers = new ArrayList<>(byScope.values());
    layers.sort(Comparator.comparingInt(Layer::distance));
    return layers;
  }

  /**
   * The tensor that feeds the final classification layer (a dense or convolution layer reached from
   * the output through activations, bias, pooling and identities), or why there is none.
   */
  Optional<String> codesFeeding(String output, StringBuilder why) {
    String tensor = output;
    for (int step = 0; step < 32; step++) {
      NodeDef node = nodes.get(GraphWrites.opName(tensor));
      if (node == null) {
        why.append("the graph has no node for ").append(tensor);
        return Optional.empty();
      }
      String op = node.getOp();
      if (op.equals("MatMul") || op.equals("Conv2D")) {
        String codes = node.getInput(0);
        return Optional.of(codes.contains(":") ? codes : codes + ":0");
      }
      if (!HEAD_OPS.contains(op)) {
        why.append("the output is computed by ")
            .append(op)
            .append(" (")
            .append(node.getName())
            .append("), not by a dense or convolution classification layer");
        return Optional.empty();
      }
      tensor = op.equals("IdentityN") ? node.getInput(outputIndex(tensor)) : dataInput(node);
    }
    why.append("no classification layer within 32 ops of the output");
    return Optional.empty();
  }

  /**
   * An earlier block's output: the last four-dimensional layer output, upstream of {@code codes},
   * with at least twice the spatial positions of the last one codes are computed from; null when
   * the graph has none.
   */
  String earlierThan(String codes) {
    List<Layer> upstream = layers(codes);
    Layer last = upstream.stream().filter(layer -> spatial(layer) > 0).findFirst().orElse(null);
    if (last == null) {
      return null;
    }
    long area = spatial(last);
    return upstream.stream()
        .filter(layer -> spatial(layer) >= 2 * area)
        .filter(layer -> !layer.kind().equals("conv") && !layer.kind().equals("batch_norm"))
        .map(Layer::tensor)
        .findFirst()
        .orElse(null);
  }

  /** Height times width of a four-dimensional output of known size, else 0. */
  private static long spatial(Layer layer) {
    long[] shape = layer.shape();
    return shape != null && shape.length == 4 && shape[1] > 0 && shape[2] > 0
        ? shape[1] * shape[2]
        : 0;
  }

  /** The static shape of a tensor; null when its rank is unknown. */
  long[] shape(String tensorOrOp) {
    String name = tensorOrOp.contains(":") ? tensorOrOp : tensorOrOp + ":0";
    try {
      Shape shape = graph.outputOrThrow(name).shape();
      return shape.isUnknown() ? null : shape.asArray();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private Map<String, Integer> distances(String output) {
    Map<String, Integer> distance = new HashMap<>();
    Deque<String> pending = new ArrayDeque<>();
    String first = GraphWrites.opName(output);
    distance.put(first, 0);
    pending.add(first);
    while (!pending.isEmpty()) {
      String name = pending.pop();
      NodeDef node = nodes.get(name);
      if (node == null) {
        continue;
      }
      for (String input : node.getInputList()) {
        if (input.startsWith("^")) {
          continue;
        }
        String source = GraphWrites.opName(input);
        if (!distance.containsKey(source)) {
          distance.put(source, distance.get(name) + 1);
          pending.add(source);
        }
      }
    }
    return distance;
  }

  private String kind(NodeDef node) {
    String kind = KINDS.get(node.getOp());
    if (kind == null) {
      return null;
    }
    long[] shape = shape(node.getName());
    if (shape == null || (shape.length != 2 && shape.length != 4)) {
      return null;
    }
    if (kind.equals("add") && node.getInputList().stream().anyMatch(this::isWeight)) {
      return null;
    }
    if (kind.equals("global_pooling") && shape.length != 2) {
      return null;
    }
    if (kind.equals("flatten") && shape.length != 2) {
      return null;
    }
    return kind;
  }

  /** The input of a head op that carries the data (not a bias or a reduction's axes). */
  private String dataInput(NodeDef node) {
    return node.getInputList().stream()
        .filter(input -> !input.startsWith("^") && !isWeight(input))
        .findFirst()
        .orElse(node.getInput(0));
  }

  private boolean isWeight(String input) {
    NodeDef source = nodes.get(GraphWrites.opName(input));
    if (source == null || !WEIGHT_OPS.contains(source.getOp())) {
      return false;
    }
    if (source.getOp().equals("Identity") || source.getOp().equals("ReadVariableOp")) {
      return isWeight(source.getInput(0));
    }
    return true;
  }

  private static int outputIndex(String tensor) {
    int colon = tensor.lastIndexOf(':');
    return colon < 0 ? 0 : Integer.parseInt(tensor.substring(colon + 1));
  }

  /**
   * The layer a node belongs to: the first name scope below the scopes of inlined function calls
   * and the model's own scope ({@code StatefulPartitionedCall/sequential/dense/Relu} is in layer
   * {@code dense}); a node outside any scope is its own layer.
   */
  private static String layerName(String node, String modelScope) {
    List<String> scopes = withoutCalls(node);
    scopes = scopes.subList(0, scopes.size() - 1);
    if (!scopes.isEmpty() && scopes.get(0).equals(modelScope)) {
      scopes = scopes.subList(1, scopes.size());
    }
    return scopes.isEmpty() ? node : scopes.get(0);
  }

  /**
   * The scope every layer sits in (Keras's {@code sequential} or {@code model}), when all nodes two
   * scopes deep share one below the call scopes (a head added on top sits outside it); else null.
   */
  private String modelScope(Set<String> names) {
    String shared = null;
    for (String name : names) {
      NodeDef node = nodes.get(name);
      if (node == null || kind(node) == null) {
        continue;
      }
      List<String> scopes = withoutCalls(name);
      if (scopes.size() < 3) {
        continue;
      }
      if (shared == null) {
        shared = scopes.get(0);
      } else if (!shared.equals(scopes.get(0))) {
        return null;
      }
    }
    return shared;
  }

  private static List<String> withoutCalls(String name) {
    List<String> kept = new ArrayList<>();
    for (String segment : name.split("/")) {
      if (!CALL_SCOPE.matcher(segment).matches()) {
        kept.add(segment);
      }
    }
    return kept;
  }

  GraphOperation operation(String tensor) {
    return graph.operation(GraphWrites.opName(tensor));
  }
}
