package io.tuneserve.tf;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Finds whether computing some tensors of a graph writes state: assigns or updates a variable (a
 * training step, an initializer, a restore) or writes a file (a saver). Such a signature must never
 * run on a client's request, or any client could change what the model computes. Looks through
 * control dependencies and into every function a node calls, as TF2 models keep their bodies in
 * functions.
 */
final class GraphWrites {
  private GraphWrites() {}

  /** The first writing op found on the way to {@code tensors}, or null when there is none. */
  static String firstWrite(GraphDef graph, Collection<String> tensors) {
    Map<String, NodeDef> nodes = new HashMap<>();
    for (NodeDef node : graph.getNodeList()) {
      nodes.put(node.getName(), node);
    }
    Map<String, FunctionDef> functions = new HashMap<>();
    for (FunctionDef function : graph.getLibrary().getFunctionList()) {
      functions.put(function.getSignature().getName(), function);
    }
    Set<String> seen = new HashSet<>();
    Set<String> calledFunctions = new HashSet<>();
    Deque<String> pending = new ArrayDeque<>();
    tensors.forEach(tensor -> pending.add(opName(tensor)));
    while (!pending.isEmpty()) {
      NodeDef node = nodes.get(pending.pop());
      if (node == null || !seen.add(node.getName())) {
        continue;
      }
      String write = write(node, functions, calledFunctions);
      if (write != null) {
        return write;
      }
      node.getInputList().forEach(input -> pending.add(opName(input)));
    }
    return null;
  }

  private static String write(
      NodeDef node, Map<String, FunctionDef> functions, Set<String> calledFunctions) {
    if (isWrite(node.getOp())) {
      return node.getName() + " (" + node.getOp() + ")";
    }
    Deque<String> called = new ArrayDeque<>(calls(node, functions));
    while (!called.isEmpty()) {
      String name = called.pop();
      FunctionDef function = functions.get(name);
      if (function == null || !calledFunctions.add(name)) {
        continue;
      }
      for (NodeDef inner : function.getNodeDefList()) {
        if (isWrite(inner.getOp())) {
          return inner.getName() + " (" + inner.getOp() + ", in function " + name + ")";
        }
        called.addAll(calls(inner, functions));
      }
    }
    return null;
  }

  /** Functions a node calls: its op itself, or any function-valued attribute. */
  static Set<String> calls(NodeDef node, Map<String, FunctionDef> functions) {
    Set<String> called = new HashSet<>();
    if (functions.containsKey(node.getOp())) {
      called.add(node.getOp());
    }
    for (AttrValue attr : node.getAttrMap().values()) {
      if (attr.hasFunc()) {
        called.add(attr.getFunc().getName());
      }
      attr.getList().getFuncList().forEach(function -> called.add(function.getName()));
    }
    return called;
  }

  /** Ops that change a variable or write a file. */
  static boolean isWrite(String op) {
    return op.startsWith("Assign")
        || op.endsWith("Assign")
        || op.startsWith("Apply")
        || op.startsWith("SparseApply")
        || op.startsWith("ResourceApply")
        || op.startsWith("ResourceSparseApply")
        || op.startsWith("Scatter")
        || op.startsWith("ResourceScatter")
        || op.startsWith("Save")
        || op.startsWith("Restore")
        || op.equals("MergeV2Checkpoints")
        || op.equals("WriteFile");
  }

  /** The op a tensor or control input belongs to: {@code ^a}, {@code a:1} and {@code a} name a. */
  static String opName(String input) {
    String name = input.startsWith("^") ? input.substring(1) : input;
    int colon = name.indexOf(':');
    return colon < 0 ? name : name.substring(0, colon);
  }
}
