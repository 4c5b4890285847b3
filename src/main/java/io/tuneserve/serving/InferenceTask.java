package io.tuneserve.serving;

import io.tuneserve.batching.BatchTask;
import io.tuneserve.model.RequestScope;
import io.tuneserve.model.TensorData;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** One request waiting in a batch queue: its inputs, the outputs it wants, and where to reply. */
final class InferenceTask implements BatchTask {
  final Map<String, TensorData> inputs;
  final Set<String> outputs;
  final int rows;
  final long enqueuedNanos;
  final RequestScope scope;
  final CompletableFuture<Map<String, TensorData>> result = new CompletableFuture<>();

  InferenceTask(
      Map<String, TensorData> inputs,
      Set<String> outputs,
      int rows,
      long enqueuedNanos,
      RequestScope scope) {
    this.scope = scope;
    this.inputs = inputs;
    this.outputs = outputs;
    this.rows = rows;
    this.enqueuedNanos = enqueuedNanos;
  }

  @Override
  public int size() {
    return rows;
  }
}
