package io.tuneserve.tf;

import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorSpec;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.tensorflow.Graph;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Asks TensorFlow's own shape inference whether a signature's graph can compute its outputs from
 * inputs of given shapes: the part of the graph the outputs need is imported into a fresh graph
 * with the fed tensors replaced by placeholders of exactly those shapes, and every op's shape
 * function (including those inside the function bodies TF2 models keep their layers in) checks its
 * inputs as it is added. An op that would receive a rank or size its kernel was not written for
 * fails there, before any kernel runs.
 *
 * <p>Verdicts are kept per signature and shape; when a signature can be batched, its leading
 * dimension is left unknown, since a batch stacks requests of any row count.
 */
final class ShapeInference {
  /** Verdicts kept per model; past this, all are forgotten (a stream of odd shapes). */
  static final int MAX_VERDICTS = 256;

  private final Supplier<GraphDef> source;
  private volatile GraphDef graph;
  private final Map<String, Optional<String>> verdicts = new ConcurrentHashMap<>();

  ShapeInference(Supplier<GraphDef> source) {
    this.source = source;
  }

  /**
   * Why the graph cannot run {@code signature} on inputs of these shapes, or empty when it can.
   *
   * @param shapes the concrete shape of every input, by alias
   */
  Optional<String> refusal(SignatureSpec signature, Map<String, long[]> shapes) {
    Map<String, long[]> probed = new TreeMap<>();
    boolean batched = signature.isBatchable();
    shapes.forEach(
        (name, shape) -> {
          long[] probe = shape.clone();
          if (batched && probe.length > 0) {
            probe[0] = -1;
          }
          probed.put(name, probe);
        });
    StringBuilder key = new StringBuilder(signature.key());
    probed.forEach((name, shape) -> key.append('|').append(name).append(Arrays.toString(shape)));
    Optional<String> known = verdicts.get(key.toString());
    if (known != null) {
      return known;
    }
    if (verdicts.size() >= MAX_VERDICTS) {
      verdicts.clear();
    }
    // Requests of one new shape arriving together wait for one check instead of each running it.
    return verdicts.computeIfAbsent(key.toString(), k -> infer(signature, probed));
  }

  private GraphDef graph() {
    GraphDef loaded = graph;
    if (loaded == null) {
      synchronized (this) {
        if (graph == null) {
          graph = source.get();
        }
        loaded = graph;
      }
    }
    return loaded;
  }

  private Optional<String> infer(SignatureSpec signature, Map<String, long[]> shapes) {
    GraphDef full = graph();
    Map<String, NodeDef> nodes = new HashMap<>();
    for (NodeDef node : full.getNodeList()) {
      nodes.put(node.getName(), node);
    }
    Map<String, NodeDef> fed = new HashMap<>();
    for (Map.Entry<String, long[]> input : shapes.entrySet()) {
      TensorSpec spec = signature.input(input.getKey());
      String[] tensor = spec.tensorName().split(":", 2);
      if (tensor.length == 2 && !tensor[1].equals("0")) {
        return Optional.of(
            "input '"
                + spec.name()
                + "' is output "
                + tensor[1]
                + " of its op, which cannot be checked");
      }
      NodeDef original = nodes.get(tensor[0]);
      if (original == null) {
        return Optional.of("input '" + spec.name() + "' names no op of the graph");
      }
      fed.put(tensor[0], placeholder(original, spec, input.getValue()));
    }
    Set<String> needed = new HashSet<>();
    Deque<String> pending = new ArrayDeque<>();
    for (TensorSpec output : signature.outputs().values()) {
      pending.add(GraphWrites.opName(output.tensorName()));
    }
    while (!pending.isEmpty()) {
      String name = pending.pop();
      if (!needed.add(name) || fed.containsKey(name)) {
        continue;
      }
      NodeDef node = nodes.get(name);
      if (node == null) {
        return Optional.of("the graph has no op " + name);
      }
      for (String input : node.getInputList()) {
        pending.add(GraphWrites.opName(input));
      }
    }
    GraphDef.Builder probe =
        GraphDef.newBuilder().setVersions(full.getVersions()).setLibrary(full.getLibrary());
    for (NodeDef node : full.getNodeList()) {
      if (needed.contains(node.getName())) {
        NodeDef kept = fed.getOrDefault(node.getName(), node);
        probe.addNode(kept.toBuilder().removeAttr("_output_shapes"));
      }
    }
    try (Graph graph = new Graph()) {
      graph.importGraphDef(probe.build());
      return Optional.empty();
    } catch (RuntimeException e) {
      return Optional.of(Messages.firstLine(e.getMessage()));
    }
  }

  private static NodeDef placeholder(NodeDef original, TensorSpec spec, long[] shape) {
    TensorShapeProto.Builder proto = TensorShapeProto.newBuilder();
    for (long dim : shape) {
      proto.addDim(TensorShapeProto.Dim.newBuilder().setSize(dim));
    }
    return NodeDef.newBuilder()
        .setName(original.getName())
        .setOp("Placeholder")
        .setDevice(original.getDevice())
        .putAttr("dtype", AttrValue.newBuilder().setType(DataType.valueOf(spec.tfType())).build())
        .putAttr("shape", AttrValue.newBuilder().setShape(proto).build())
        .build();
  }
}
