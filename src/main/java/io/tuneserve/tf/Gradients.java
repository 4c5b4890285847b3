package io.tuneserve.tf;

import io.tuneserve.model.ServingException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.exceptions.TensorFlowException;

/**
 * Symbolic gradients of a loss, built before any training step runs, so that a graph holding an op
 * TensorFlow has no gradient for refuses the job at once with the op and its nodes named.
 */
final class Gradients {
  private static final Pattern MISSING = Pattern.compile("No gradient defined for op: ([\\w>-]+)");
  private static final int NAMED_NODES = 3;

  private Gradients() {}

  static Output<?>[] of(Graph graph, Output<?> loss, Output<?>[] variables) {
    try {
      return graph.addGradients(loss, variables);
    } catch (TensorFlowException e) {
      Matcher missing = MISSING.matcher(String.valueOf(e.getMessage()));
      if (!missing.find()) {
        throw e;
      }
      String type = missing.group(1);
      throw ServingException.invalid(
          "fine-tuning needs the gradient of every op between the trained layers and the"
              + " classifier, and TensorFlow has no gradient for op "
              + type
              + " (nodes "
              + nodesOfType(graph, type)
              + "); train a classifier on the CNN codes instead (strategy feature_extractor or"
              + " earlier_layer_features), or freeze the blocks below that op (frozen_blocks)");
    }
  }

  private static String nodesOfType(Graph graph, String type) {
    List<String> names = new ArrayList<>();
    int count = 0;
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (op.type().equals(type)) {
        if (names.size() < NAMED_NODES) {
          names.add(op.name());
        }
        count++;
      }
    }
    return String.join(", ", names)
        + (count > names.size() ? " and " + (count - names.size()) + " more" : "");
  }
}
