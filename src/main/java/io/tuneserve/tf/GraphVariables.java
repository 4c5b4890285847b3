package io.tuneserve.tf;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;

/**
 * The part of an inlined graph that computes some tensors, with its resource variables ({@code
 * VarHandleOp}, read by {@code ReadVariableOp}) turned into graph variables ({@code VariableV2},
 * read by {@code Identity}): the form TensorFlow Java differentiates, trains, saves and exports,
 * and TF Serving serves. Nothing else changes, so the part computes what it did once each variable
 * holds the value its handle held.
 */
final class GraphVariables {
  private GraphVariables() {}

  /** A variable of the converted graph, by node name. */
  record Variable(String name, DataType type, AttrValue shape) {}

  record Converted(GraphDef graph, List<Variable> variables) {}

  /**
   * Keeps what {@code tensors} depend on and converts its variables.
   *
   * @throws IllegalArgumentException when the part uses a variable other than by reading it, or
   *     holds state other than variables (a table, a queue), which a converted graph would not have
   */
  static Converted convert(GraphDef inlined, Collection<String> tensors) {
    Map<String, NodeDef> nodes = new HashMap<>();
    inlined.getNodeList().forEach(node -> nodes.put(node.getName(), node));
    Set<String> kept = FunctionInlining.upstream(nodes, tensors);
    List<NodeDef> converted = new ArrayList<>();
    List<Variable> variables = new ArrayList<>();
    for (NodeDef node : inlined.getNodeList()) {
      if (!kept.contains(node.getName())) {
        continue;
      }
      switch (node.getOp()) {
        case "VarHandleOp" -> {
          DataType type = node.getAttrMap().get("dtype").getType();
          AttrValue shape = node.getAttrMap().get("shape");
          variables.add(new Variable(node.getName(), type, shape));
          converted.add(
              NodeDef.newBuilder()
                  .setName(node.getName())
                  .setOp("VariableV2")
                  .setDevice(node.getDevice())
                  .putAttr("dtype", AttrValue.newBuilder().setType(type).build())
                  .putAttr("shape", shape)
                  .build());
        }
        case "ReadVariableOp" -> {
          String handle = node.getInput(0);
          requireVariable(nodes, handle, node);
          converted.add(
              node.toBuilder()
                  .setOp("Identity")
                  .clearAttr()
                  .putAttr("T", node.getAttrMap().get("dtype"))
                  .build());
        }
        default -> {
          for (String input : node.getInputList()) {
            NodeDef source = nodes.get(GraphWrites.opName(input));
            if (!input.startsWith("^") && source != null && source.getOp().equals("VarHandleOp")) {
              throw new IllegalArgumentException(
                  "op "
                      + node.getOp()
                      + " ("
                      + node.getName()
                      + ") uses variable "
                      + source.getName()
                      + " other than by reading it");
            }
          }
          if (holdsState(node)) {
            throw new IllegalArgumentException(
                "op "
                    + node.getOp()
                    + " ("
                    + node.getName()
                    + ") holds state other than a variable");
          }
          converted.add(node);
        }
      }
    }
    GraphDef graph =
        inlined.toBuilder()
            .clearNode()
            .addAllNode(converted)
            .setLibrary(usedFunctions(inlined.getLibrary(), converted))
            .build();
    return new Converted(graph, List.copyOf(variables));
  }

  private static void requireVariable(Map<String, NodeDef> nodes, String handle, NodeDef reader) {
    NodeDef source = nodes.get(GraphWrites.opName(handle));
    if (source == null || !source.getOp().equals("VarHandleOp")) {
      throw new IllegalArgumentException(
          "variable read "
              + reader.getName()
              + " takes its handle from "
              + (source == null ? handle : source.getOp() + " " + source.getName())
              + ", not from a variable");
    }
  }

  /** Whether a node's op creates a resource (a table, a queue, an iterator) of its own. */
  private static boolean holdsState(NodeDef node) {
    return OpDefs.of(node.getOp())
        .map(
            def ->
                def.getOutputArgList().stream()
                        .map(OpDef.ArgDef::getType)
                        .anyMatch(type -> type == DataType.DT_RESOURCE)
                    && def.getInputArgList().isEmpty())
        .orElse(false);
  }

  /** The library's functions that the nodes use, directly or through other functions. */
  private static FunctionDefLibrary usedFunctions(FunctionDefLibrary library, List<NodeDef> nodes) {
    Map<String, FunctionDef> functions = new HashMap<>();
    library.getFunctionList().forEach(f -> functions.put(f.getSignature().getName(), f));
    Set<String> used = new LinkedHashSet<>();
    Deque<NodeDef> pending = new ArrayDeque<>(nodes);
    while (!pending.isEmpty()) {
      for (String name : GraphWrites.calls(pending.pop(), functions)) {
        FunctionDef function = functions.get(name);
        if (function != null && used.add(name)) {
          pending.addAll(function.getNodeDefList());
        }
      }
    }
    FunctionDefLibrary.Builder kept = library.toBuilder().clearFunction().clearGradient();
    used.forEach(name -> kept.addFunction(functions.get(name)));
    library.getGradientList().stream()
        .filter(gradient -> used.contains(gradient.getFunctionName()))
        .forEach(kept::addGradient);
    return kept.build();
  }
}
