package io.tuneserve.tf;

import io.tuneserve.model.ServingException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;

/**
 * The variables a feature tensor depends on, grouped into blocks by their top-level name scope, in
 * the order the graph defines them (input to output). This is the contract a SavedModel follows to
 * be fine-tunable: graph variables ({@code VariableV2}, as TF1-style graphs and tuneserve's zoo
 * have) under one name scope per block.
 */
final class TrainableBlocks {
  private final Map<String, List<Operand<TFloat32>>> blocks;

  private TrainableBlocks(Map<String, List<Operand<TFloat32>>> blocks) {
    this.blocks = blocks;
  }

  static TrainableBlocks feeding(Graph graph, Output<TFloat32> features) {
    Set<String> upstream =
        graph.subgraphTo(Set.of(features)).stream()
            .map(GraphOperation::name)
            .collect(Collectors.toSet());
    Map<String, List<Operand<TFloat32>>> blocks = new LinkedHashMap<>();
    for (Iterator<GraphOperation> ops = graph.operations(); ops.hasNext(); ) {
      GraphOperation op = ops.next();
      if (!upstream.contains(op.name())) {
        continue;
      }
      if (op.type().equals("VarHandleOp")) {
        throw ServingException.invalid(
            "the base model keeps its weights in resource variables (a TF2 SavedModel), which"
                + " cannot be fine-tuned from Java; use strategy feature_extractor");
      }
      DataType type = op.type().equals("VariableV2") ? op.output(0).dataType() : null;
      if (type == DataType.DT_FLOAT || type == DataType.DT_FLOAT_REF) {
        String name = op.name();
        String block = name.contains("/") ? name.substring(0, name.indexOf('/')) : name;
        @SuppressWarnings("unchecked")
        Operand<TFloat32> variable = (Operand<TFloat32>) (Operand<?>) op.output(0);
        blocks.computeIfAbsent(block, b -> new ArrayList<>()).add(variable);
      }
    }
    if (blocks.isEmpty()) {
      throw ServingException.invalid("the base model's features depend on no trainable variable");
    }
    return new TrainableBlocks(blocks);
  }

  List<String> names() {
    return List.copyOf(blocks.keySet());
  }

  /** The variables of every block after the first {@code frozen}. */
  List<Operand<TFloat32>> unfrozen(int frozen) {
    if (frozen >= blocks.size()) {
      throw ServingException.invalid(
          "frozen_blocks "
              + frozen
              + " leaves nothing to fine-tune; the base model's blocks are "
              + names());
    }
    List<Operand<TFloat32>> variables = new ArrayList<>();
    blocks.values().stream().skip(frozen).forEach(variables::addAll);
    return variables;
  }
}
