package io.tuneserve.batching;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One pool of threads serving many batch queues. {@link #schedule} never blocks: it answers false
 * when the queue is full. A thread takes a batch from any queue that is ready (full, or its oldest
 * task's delay passed), otherwise waits until the nearest deadline or a new task.
 *
 * <p>The threads hear of new tasks through a wake-up executor. A thread that reads many requests in
 * one go (an event loop handling a burst of I/O) defers the wake-up until it has queued them all:
 * on a shared core, a batch thread woken by the first request would otherwise take the CPU and run
 * a batch of one while the rest wait unread.
 */
public final class BatchScheduler implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(BatchScheduler.class.getName());

  private final Clock clock;
  private final Executor wakeups;
  private final ThreadLocal<boolean[]> wakePending = ThreadLocal.withInitial(() -> new boolean[1]);
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final List<BatchQueue<?>> queues = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private int nextQueue;
  private boolean stopped;

  /** A scheduler whose threads are woken at once by every new task. */
  public BatchScheduler(String name, int threadCount, Clock clock) {
    this(name, threadCount, clock, Runnable::run);
  }

  /**
   * @param wakeups runs the wake-up of the threads after a task is queued: at once, or later on the
   *     calling thread once it has finished its current work; one wake-up per caller is pending at
   *     a time, covering every task that caller queues meanwhile
   */
  public BatchScheduler(String name, int threadCount, Clock clock, Executor wakeups) {
    this.clock = clock;
    this.wakeups = wakeups;
    for (int i = 0; i < threadCount; i++) {
      Thread thread = new Thread(this::work, name + "-" + i);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  /** A new queue whose batches go to {@code processor} on this scheduler's threads. */
  public <T extends BatchTask> BatchQueue<T> addQueue(
      BatchingOptions options, Consumer<List<T>> processor) {
    BatchQueue<T> queue = new BatchQueue<>(options, processor);
    lock.lock();
    try {
      queues.add(queue);
    } finally {
      lock.unlock();
    }
    return queue;
  }

  /** Removes a queue; its waiting tasks are returned so the caller can fail them. */
  public <T extends BatchTask> List<T> removeQueue(BatchQueue<T> queue) {
    lock.lock();
    try {
      queues.remove(queue);
      return queue.close();
    } finally {
      lock.unlock();
    }
  }

  /** Enqueues a task; false when its queue is full or closed. Never blocks. */
  public <T extends BatchTask> boolean schedule(BatchQueue<T> queue, T task) {
    lock.lock();
    try {
      if (stopped || !queue.offer(task, clock.nanoTime())) {
        return false;
      }
    } finally {
      lock.unlock();
    }
    boolean[] pending = wakePending.get();
    if (!pending[0]) {
      pending[0] = true;
      wakeups.execute(
          () -> {
            pending[0] = false;
            signalOne();
          });
    }
    return true;
  }

  private void signalOne() {
    lock.lock();
    try {
      changed.signal();
    } finally {
      lock.unlock();
    }
  }

  /** Wakes the threads so they look at the clock again (for tests that move a fake clock). */
  public void wakeUp() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void work() {
    while (true) {
      Runnable batch = nextBatch();
      if (batch == null) {
        return;
      }
      try {
        batch.run();
      } catch (RuntimeException e) {
        LOG.log(Level.SEVERE, "batch processor failed", e);
      }
    }
  }

  /** Blocks until a batch is ready; null once stopped. */
  private Runnable nextBatch() {
    lock.lock();
    try {
      while (!stopped) {
        long now = clock.nanoTime();
        long nearest = Long.MAX_VALUE;
        int count = queues.size();
        for (int i = 0; i < count; i++) {
          BatchQueue<?> queue = queues.get((nextQueue + i) % count);
          if (queue.isReady(now)) {
            nextQueue = (nextQueue + i + 1) % count;
            Runnable batch = take(queue);
            if (anyQueued()) {
              // Tasks a single deferred wake-up covered may fill more than this batch.
              changed.signal();
            }
            return batch;
          }
          nearest = Math.min(nearest, queue.deadline());
        }
        if (nearest == Long.MAX_VALUE) {
          changed.await();
        } else {
          changed.awaitNanos(Math.max(1, nearest - now));
        }
      }
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } finally {
      lock.unlock();
    }
  }

  private boolean anyQueued() {
    for (BatchQueue<?> queue : queues) {
      if (queue.queuedTasks() > 0) {
        return true;
      }
    }
    return false;
  }

  private static <T extends BatchTask> Runnable take(BatchQueue<T> queue) {
    List<T> batch = queue.takeBatch();
    Consumer<List<T>> processor = queue.processor();
    return () -> processor.accept(batch);
  }

  @Override
  public void close() {
    lock.lock();
    try {
      stopped = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    for (Thread thread : threads) {
      try {
        thread.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
