package io.tuneserve.tf;

import io.tuneserve.model.ServingException;
import java.util.ArrayList;
import java.util.HashSet;
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
 * be fine-tunable: graph variables ({@code VariableV2}, as TF1-style graphs, tuneserve's zoo and
 * TF2 models once inlined have) under one name scope per block. Variables the model marks as not
 * trainable (batch normalisation's moving statistics) are left out.
 */
final class TrainableBlocks {
  private final Map<String, List<Operand<TFloat32>>> blocks;

  private TrainableBlocks(Map<String, List<Operand<TFloat32>>> blocks) {
    this.blocks = blocks;
  }

  static TrainableBlocks feeding(OpenModel model, Output<TFloat32> features) {
    Graph graph = model.graph();
    Set<String> upstream =
        graph.subgraphTo(Set.of(features)).stream()
            .map(GraphOperation::name)
            .collect(Collectors.toSet());
    Set<String> statistics = batchNormStatistics(graph);
    Map<String, List<Operand<TFloat32>>> blocks = new LinkedHashMap<>();
    for (Iterator<GraphOperation> ops = graph.operations(); ops.hasNext(); ) {
      GraphOperation op = ops.next();
      if (!upstream.contains(op.name())) {
        continue;
      }
      if (op.type().equals("VarHandleOp")) {
        throw ServingException.invalid(
            "the base model keeps its weights in resource variables inside functions that could"
                + " not be inlined ("
                + model.note()
                + "); use strategy feature_extractor");
      }
      DataType type = op.type().equals("VariableV2") ? op.output(0).dataType() : null;
      if ((type == DataType.DT_FLOAT || type == DataType.DT_FLOAT_REF)
          && !model.untrainable().contains(op.name())
          && !statistics.contains(op.name())) {
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

  /**
   * The variables batch normalisation reads its moving mean and variance from (inputs 3 and 4 of an
   * inference-mode {@code FusedBatchNorm}): statistics, kept as they are, not weights.
   */
  private static Set<String> batchNormStatistics(Graph graph) {
    Set<String> statistics = new HashSet<>();
    for (Iterator<GraphOperation> ops = graph.operations(); ops.hasNext(); ) {
      GraphOperation op = ops.next();
      if (op.type().startsWith("FusedBatchNorm") && op.numInputs() == 5) {
        for (int i = 3; i < 5; i++) {
          GraphOperation source = (GraphOperation) op.input(i).op();
          while (source.type().equals("Identity") && source.numInputs() == 1) {
            source = (GraphOperation) source.input(0).op();
          }
          statistics.add(source.name());
        }
      }
    }
    return statistics;
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
