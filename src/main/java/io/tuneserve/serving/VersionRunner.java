package io.tuneserve.serving;

import io.tuneserve.batching.BatchQueue;
import io.tuneserve.batching.BatchScheduler;
import io.tuneserve.batching.Clock;
import io.tuneserve.metrics.ServingMetrics;
import io.tuneserve.model.ErrorKind;
import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.RequestScope;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs requests against one loaded version on worker threads: batchable signatures go through a
 * batch queue per signature and input shape; others run one at a time on the direct executor.
 */
final class VersionRunner {
  /**
   * Batch queues one version keeps (one per signature and input shape); requests of further shapes
   * run unbatched, so a stream of odd shapes cannot grow the scheduler without bound.
   */
  static final int MAX_QUEUES = 32;

  private final String modelName;
  private final LoadedModel model;
  private final RunnerOptions options;
  private final BatchScheduler scheduler;
  private final Executor direct;
  private final ServingMetrics metrics;
  private final Clock clock;
  private final Map<String, BatchQueue<InferenceTask>> queues = new ConcurrentHashMap<>();

  VersionRunner(
      String modelName,
      LoadedModel model,
      RunnerOptions options,
      BatchScheduler scheduler,
      Executor direct,
      ServingMetrics metrics,
      Clock clock) {
    this.modelName = modelName;
    this.model = model;
    this.options = options;
    this.scheduler = scheduler;
    this.direct = direct;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** The most rows one batch may hold; 0 when this version's requests are not batched. */
  int maxBatchSize() {
    return options.batching() ? options.batchingOptions().maxBatchSize() : 0;
  }

  CompletableFuture<Map<String, TensorData>> run(
      SignatureSpec signature,
      Map<String, TensorData> inputs,
      Set<String> outputs,
      RequestScope scope) {
    int rows = batchRows(signature, inputs);
    if (rows < 0) {
      return runDirect(signature.key(), inputs, outputs, scope);
    }
    String key = queueKey(signature.key(), inputs);
    BatchQueue<InferenceTask> queue = queues.get(key);
    if (queue == null) {
      if (queues.size() >= MAX_QUEUES) {
        return runDirect(signature.key(), inputs, outputs, scope);
      }
      queue =
          queues.computeIfAbsent(
              key,
              k ->
                  scheduler.addQueue(
                      options.batchingOptions(), batch -> process(signature.key(), batch)));
    }
    InferenceTask task = new InferenceTask(inputs, outputs, rows, clock.nanoTime(), scope);
    if (!scheduler.schedule(queue, task)) {
      return CompletableFuture.failedFuture(
          ServingException.overloaded(
              "too many requests queued for model " + modelName + "; retry later"));
    }
    return task.result;
  }

  /**
   * Asks the model, on a worker thread, why it cannot run the signature on inputs of these shapes
   * (empty when it can).
   */
  CompletableFuture<java.util.Optional<String>> shapeRefusal(
      SignatureSpec signature, Map<String, long[]> shapes) {
    try {
      return CompletableFuture.supplyAsync(
          () -> model.shapeRefusal(signature.key(), shapes), direct);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(
          ServingException.overloaded("too many requests in flight for model " + modelName));
    }
  }

  /** Rows along the batch dimension, or -1 when the request cannot join a batch. */
  private int batchRows(SignatureSpec signature, Map<String, TensorData> inputs) {
    if (!options.batching() || !signature.isBatchable()) {
      return -1;
    }
    long rows = -1;
    for (TensorData input : inputs.values()) {
      if (input.rank() == 0 || (rows >= 0 && input.dim(0) != rows)) {
        return -1;
      }
      rows = input.dim(0);
    }
    return rows > 0 && rows <= Integer.MAX_VALUE ? (int) rows : -1;
  }

  private static String queueKey(String signature, Map<String, TensorData> inputs) {
    StringBuilder key = new StringBuilder(signature);
    new TreeMap<>(inputs)
        .forEach(
            (name, tensor) -> {
              key.append('|').append(name).append(':').append(tensor.dtype().oipName());
              for (int i = 1; i < tensor.rank(); i++) {
                key.append(',').append(tensor.dim(i));
              }
            });
    return key.toString();
  }

  private CompletableFuture<Map<String, TensorData>> runDirect(
      String signature, Map<String, TensorData> inputs, Set<String> outputs, RequestScope scope) {
    try {
      return CompletableFuture.supplyAsync(
          () -> {
            ServingException stopped = scope.stopped(clock.nanoTime());
            if (stopped != null) {
              metrics.dropped(modelName);
              throw stopped;
            }
            return timedRun(signature, inputs, outputs, 1);
          },
          direct);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(
          ServingException.overloaded("too many requests in flight for model " + modelName));
    }
  }

  private Map<String, TensorData> timedRun(
      String signature, Map<String, TensorData> inputs, Set<String> outputs, int rows) {
    long start = clock.nanoTime();
    Map<String, TensorData> result = model.run(signature, inputs, outputs);
    metrics.compute(modelName, clock.nanoTime() - start);
    metrics.batchSize(modelName, rows);
    return result;
  }

  private void process(String signature, List<InferenceTask> queued) {
    long start = clock.nanoTime();
    List<InferenceTask> batch = new ArrayList<>(queued.size());
    for (InferenceTask task : queued) {
      ServingException stopped = task.scope.stopped(start);
      if (stopped == null) {
        batch.add(task);
      } else {
        metrics.dropped(modelName);
        task.result.completeExceptionally(stopped);
      }
    }
    if (batch.isEmpty()) {
      return;
    }
    int totalRows = 0;
    Set<String> outputs = new LinkedHashSet<>();
    for (InferenceTask task : batch) {
      metrics.queueWait(modelName, start - task.enqueuedNanos);
      totalRows += task.rows;
      outputs.addAll(task.outputs);
    }
    try {
      Map<String, TensorData> inputs = new HashMap<>();
      for (String name : batch.get(0).inputs.keySet()) {
        List<TensorData> parts = new ArrayList<>(batch.size());
        for (InferenceTask task : batch) {
          parts.add(task.inputs.get(name));
        }
        inputs.put(name, TensorData.concat(parts));
      }
      Map<String, TensorData> results = timedRun(signature, inputs, outputs, totalRows);
      for (Map.Entry<String, TensorData> output : results.entrySet()) {
        TensorData value = output.getValue();
        if (value.rank() == 0 || value.dim(0) != totalRows) {
          throw new ServingException(
              ErrorKind.INTERNAL,
              "output "
                  + output.getKey()
                  + " has shape "
                  + value
                  + ", which does not follow the batch of "
                  + totalRows
                  + " rows");
        }
      }
      long offset = 0;
      for (InferenceTask task : batch) {
        Map<String, TensorData> own = new HashMap<>();
        for (String name : task.outputs) {
          own.put(name, results.get(name).rows(offset, task.rows));
        }
        offset += task.rows;
        task.result.complete(own);
      }
    } catch (RuntimeException e) {
      for (InferenceTask task : batch) {
        task.result.completeExceptionally(e);
      }
    }
  }

  /** Stops batching; tasks still queued fail as unavailable. */
  void close() {
    for (BatchQueue<InferenceTask> queue : queues.values()) {
      for (InferenceTask task : scheduler.removeQueue(queue)) {
        task.result.completeExceptionally(
            ServingException.unavailable("model " + modelName + " version is unloading"));
      }
    }
    queues.clear();
  }
}
