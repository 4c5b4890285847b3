package io.tuneserve.batching;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Tasks waiting to be batched for one processor. Not thread-safe: the {@link BatchScheduler} that
 * owns it guards every call with its lock; tests call it directly with a fake clock.
 */
public final class BatchQueue<T extends BatchTask> {
  private final BatchingOptions options;
  private final Consumer<List<T>> processor;
  private final ArrayDeque<T> tasks = new ArrayDeque<>();
  private final ArrayDeque<Long> enqueuedAt = new ArrayDeque<>();
  private int queuedRows;
  private boolean closed;

  BatchQueue(BatchingOptions options, Consumer<List<T>> processor) {
    this.options = options;
    this.processor = processor;
  }

  /** A queue that is not attached to a scheduler, for driving by hand. */
  public static <T extends BatchTask> BatchQueue<T> standalone(
      BatchingOptions options, Consumer<List<T>> processor) {
    return new BatchQueue<>(options, processor);
  }

  /** Adds a task; false when the queue is full or closed. */
  public boolean offer(T task, long now) {
    if (closed || tasks.size() >= options.maxQueuedTasks()) {
      return false;
    }
    tasks.addLast(task);
    enqueuedAt.addLast(now);
    queuedRows += task.size();
    return true;
  }

  /** True when a batch should be taken now: enough rows, or the oldest task waited long enough. */
  public boolean isReady(long now) {
    if (tasks.isEmpty()) {
      return false;
    }
    return queuedRows >= options.maxBatchSize() || now >= deadline();
  }

  /** When the oldest task's wait runs out; {@code Long.MAX_VALUE} when the queue is empty. */
  public long deadline() {
    return tasks.isEmpty()
        ? Long.MAX_VALUE
        : enqueuedAt.getFirst() + options.maxQueueDelay().toNanos();
  }

  /**
   * Takes the tasks of the next batch: whole tasks in arrival order, up to {@code maxBatchSize}
   * rows; a single task larger than that forms a batch of its own.
   */
  public List<T> takeBatch() {
    List<T> batch = new ArrayList<>();
    int rows = 0;
    while (!tasks.isEmpty()) {
      T next = tasks.getFirst();
      if (!batch.isEmpty() && rows + next.size() > options.maxBatchSize()) {
        break;
      }
      tasks.removeFirst();
      enqueuedAt.removeFirst();
      rows += next.size();
      queuedRows -= next.size();
      batch.add(next);
    }
    return batch;
  }

  /** Refuses new tasks and hands back the ones still waiting. */
  public List<T> close() {
    closed = true;
    List<T> left = new ArrayList<>(tasks);
    tasks.clear();
    enqueuedAt.clear();
    queuedRows = 0;
    return left;
  }

  public boolean isClosed() {
    return closed;
  }

  public int queuedTasks() {
    return tasks.size();
  }

  public int queuedRows() {
    return queuedRows;
  }

  Consumer<List<T>> processor() {
    return processor;
  }
}
