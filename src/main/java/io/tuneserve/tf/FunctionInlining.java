package io.tuneserve.tf;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;

/**
 * Moves the bodies of the functions that compute some tensors of a graph into the graph itself, as
 * TensorFlow's own optimizer does before it runs them. A TF2 SavedModel keeps every layer inside
 * function bodies called by a {@code StatefulPartitionedCall}; once inlined, the layers are nodes
 * of the main graph that can be fetched and differentiated, and the graph computes what it did.
 *
 * <p>Each call becomes an {@code IdentityN} of the same name over the inlined results (so tensor
 * names such as {@code StatefulPartitionedCall:0} still name the same values), with control edges
 * from the function's control outputs. Body nodes are named {@code <call>/<node>}; calls inside
 * bodies are inlined the same way, to any depth. Variable handles passed into a function are wired
 * straight to the nodes that read them. Functions used by control-flow ops ({@code If}, {@code
 * While}) stay in the library and are left as they are.
 */
final class FunctionInlining {
  private static final Set<String> CALL_OPS = Set.of("PartitionedCall", "StatefulPartitionedCall");

  private final Map<String, FunctionDef> functions = new HashMap<>();
  private final Map<String, NodeDef> graphNodes = new HashMap<>();
  private final List<NodeDef> inlined = new ArrayList<>();
  private final Set<String> names = new HashSet<>();

  private FunctionInlining(GraphDef graph) {
    for (FunctionDef function : graph.getLibrary().getFunctionList()) {
      functions.put(function.getSignature().getName(), function);
    }
    for (NodeDef node : graph.getNodeList()) {
      graphNodes.put(node.getName(), node);
      names.add(node.getName());
    }
  }

  /**
   * The graph with every function call that {@code tensors} depend on inlined; other nodes,
   * including calls nothing asked for (savers, restorers), are kept unchanged.
   *
   * @param tensors tensor or op names ({@code a:0}, {@code a})
   * @throws IllegalArgumentException when a call cannot be inlined, naming why
   */
  static GraphDef inline(GraphDef graph, Collection<String> tensors) {
    return new FunctionInlining(graph).run(graph, tensors);
  }

  /** Whether any of {@code tensors} is computed by a function call. */
  static boolean callsFunctions(GraphDef graph, Collection<String> tensors) {
    FunctionInlining inlining = new FunctionInlining(graph);
    return inlining.upstream(tensors).stream()
        .anyMatch(name -> inlining.isCall(inlining.graphNodes.get(name)));
  }

  private GraphDef run(GraphDef graph, Collection<String> tensors) {
    Set<String> needed = upstream(tensors);
    for (NodeDef node : graph.getNodeList()) {
      if (needed.contains(node.getName()) && isCall(node)) {
        expand(node);
      } else {
        inlined.add(node);
      }
    }
    return graph.toBuilder().clearNode().addAllNode(inlined).build();
  }

  private Set<String> upstream(Collection<String> tensors) {
    return upstream(graphNodes, tensors);
  }

  /** The nodes {@code tensors} depend on, through data and control inputs, themselves included. */
  static Set<String> upstream(Map<String, NodeDef> nodes, Collection<String> tensors) {
    Set<String> seen = new HashSet<>();
    Deque<String> pending = new ArrayDeque<>();
    tensors.forEach(tensor -> pending.add(GraphWrites.opName(tensor)));
    while (!pending.isEmpty()) {
      NodeDef node = nodes.get(pending.pop());
      if (node != null && seen.add(node.getName())) {
        node.getInputList().forEach(input -> pending.add(GraphWrites.opName(input)));
      }
    }
    return seen;
  }

  private boolean isCall(NodeDef node) {
    return node != null && calledFunction(node) != null;
  }

  /** The function a node calls as a whole (not a control-flow branch), or null. */
  private FunctionDef calledFunction(NodeDef node) {
    if (functions.containsKey(node.getOp())) {
      return functions.get(node.getOp());
    }
    if (CALL_OPS.contains(node.getOp())) {
      AttrValue f = node.getAttrMap().get("f");
      return f == null ? null : functions.get(f.getFunc().getName());
    }
    return null;
  }

  /**
   * Adds the body of the function {@code call} calls, its inputs already named in the graph, and
   * the {@code IdentityN} that stands for the call.
   */
  private void expand(NodeDef call) {
    String prefix = call.getName();
    FunctionDef function = calledFunction(call);
    String functionName = function.getSignature().getName();
    AttrValue f = call.getAttrMap().get("f");
    if (f != null && f.getFunc().getAttrCount() > 0) {
      throw new IllegalArgumentException(
          "call " + call.getName() + " instantiates function " + functionName + " with attributes");
    }
    List<String> data = new ArrayList<>();
    List<String> control = new ArrayList<>();
    for (String input : call.getInputList()) {
      (input.startsWith("^") ? control : data).add(input);
    }
    List<OpDef.ArgDef> arguments = function.getSignature().getInputArgList();
    if (arguments.size() != data.size()) {
      throw new IllegalArgumentException(
          "call "
              + call.getName()
              + " passes "
              + data.size()
              + " inputs to function "
              + functionName
              + ", which takes "
              + arguments.size());
    }
    Map<String, String> bound = new HashMap<>();
    for (int i = 0; i < arguments.size(); i++) {
      bound.put(arguments.get(i).getName(), data.get(i));
    }
    Scope scope = new Scope(prefix, function, bound);
    for (NodeDef node : function.getNodeDefList()) {
      NodeDef.Builder copy = node.toBuilder().setName(scope.name(node.getName())).clearInput();
      for (String input : node.getInputList()) {
        copy.addInput(scope.input(input));
      }
      if (copy.getInputCount() == 0) {
        copy.addAllInput(control);
      }
      copy.removeAttr("_class");
      for (AttrValue value : node.getAttrMap().values()) {
        if (!value.getPlaceholder().isEmpty()) {
          throw new IllegalArgumentException(
              "function " + functionName + " is generic over attribute " + value.getPlaceholder());
        }
      }
      NodeDef translated = copy.build();
      claim(translated.getName());
      if (isCall(translated)) {
        expand(translated);
      } else {
        inlined.add(translated);
      }
    }
    NodeDef.Builder results = NodeDef.newBuilder().setName(prefix).setDevice(call.getDevice());
    AttrValue.ListValue.Builder types = AttrValue.ListValue.newBuilder();
    for (OpDef.ArgDef output : function.getSignature().getOutputArgList()) {
      String value = function.getRetMap().get(output.getName());
      if (value == null || output.getType() == DataType.DT_INVALID) {
        throw new IllegalArgumentException(
            "function " + functionName + " returns no typed value for " + output.getName());
      }
      results.addInput(scope.input(value));
      types.addType(output.getType());
    }
    function.getControlRetMap().values().forEach(node -> results.addInput("^" + scope.name(node)));
    if (types.getTypeCount() == 0) {
      results.setOp("NoOp").addAllInput(control);
    } else {
      results.setOp("IdentityN").putAttr("T", AttrValue.newBuilder().setList(types).build());
    }
    inlined.add(results.build());
  }

  private void claim(String name) {
    if (!names.add(name)) {
      throw new IllegalArgumentException("inlining would name two nodes " + name);
    }
  }

  /** Names inside one inlined function body. */
  private final class Scope {
    private final String prefix;
    private final Map<String, NodeDef> body = new HashMap<>();
    private final Map<String, String> bound;

    Scope(String prefix, FunctionDef function, Map<String, String> bound) {
      this.prefix = prefix;
      this.bound = bound;
      function.getNodeDefList().forEach(node -> body.put(node.getName(), node));
    }

    String name(String bodyNode) {
      return prefix + "/" + bodyNode;
    }

    /**
     * A body input ({@code arg}, {@code node:arg:index} or {@code ^node}) as the graph names it.
     */
    String input(String input) {
      if (input.startsWith("^")) {
        String node = input.substring(1);
        String argument = bound.get(node);
        return "^" + (argument != null ? GraphWrites.opName(argument) : name(node));
      }
      String[] parts = input.split(":");
      if (parts.length == 1 || (parts.length == 2 && bound.containsKey(parts[0]))) {
        String argument = bound.get(parts[0]);
        if (argument == null) {
          throw new IllegalArgumentException("no argument " + input + " in " + prefix);
        }
        return argument;
      }
      if (parts.length != 3) {
        throw new IllegalArgumentException("cannot read input " + input + " in " + prefix);
      }
      NodeDef node = body.get(parts[0]);
      if (node == null) {
        throw new IllegalArgumentException("no node " + parts[0] + " in " + prefix);
      }
      return name(parts[0]) + ":" + position(node, parts[1], Integer.parseInt(parts[2]));
    }

    private int position(NodeDef node, String argument, int index) {
      FunctionDef called = calledFunction(node);
      if (called != null && CALL_OPS.contains(node.getOp())) {
        return index;
      }
      if (called != null) {
        List<OpDef.ArgDef> outputs = called.getSignature().getOutputArgList();
        for (int i = 0; i < outputs.size(); i++) {
          if (outputs.get(i).getName().equals(argument)) {
            return i + index;
          }
        }
        throw new IllegalArgumentException(
            "function " + node.getOp() + " has no output " + argument);
      }
      OpDef def =
          OpDefs.of(node.getOp())
              .orElseThrow(
                  () -> new IllegalArgumentException("TensorFlow has no op " + node.getOp()));
      return OpDefs.outputPosition(def, node, argument, index);
    }
  }
}
