package io.tuneserve.batching;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BatchSchedulerTest {
  private final FakeClock clock = new FakeClock();
  private final BatchScheduler scheduler = new BatchScheduler("test-batch", 2, clock);
  private final List<List<Integer>> batches = new CopyOnWriteArrayList<>();

  record Rows(int id, int size) implements BatchTask {}

  @AfterEach
  void stop() {
    scheduler.close();
  }

  private static void awaitCount(List<?> list, int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (list.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  @Test
  void runsAFullBatchWithoutWaitingForTheDelay() throws Exception {
    BatchQueue<Rows> queue =
        scheduler.addQueue(
            new BatchingOptions(4, Duration.ofHours(1), 100),
            batch -> batches.add(batch.stream().map(Rows::id).toList()));
    for (int i = 0; i < 4; i++) {
      assertThat(scheduler.schedule(queue, new Rows(i, 1))).isTrue();
    }
    awaitCount(batches, 1);
    assertThat(batches).containsExactly(List.of(0, 1, 2, 3));
  }

  @Test
  void withNoDelayAFreeThreadRunsATaskAtOnceAndBatchesFormWhileTheThreadsAreBusy()
      throws Exception {
    java.util.concurrent.Semaphore started = new java.util.concurrent.Semaphore(0);
    CountDownLatch release = new CountDownLatch(1);
    BatchQueue<Rows> queue =
        scheduler.addQueue(
            new BatchingOptions(8, Duration.ZERO, 100),
            batch -> {
              started.release();
              try {
                release.await(10, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              batches.add(batch.stream().map(Rows::id).toList());
            });
    // Each task arrives while a thread is free: it runs at once, alone, the clock never moving.
    scheduler.schedule(queue, new Rows(1, 1));
    assertThat(started.tryAcquire(10, TimeUnit.SECONDS)).as("task 1 started").isTrue();
    scheduler.schedule(queue, new Rows(2, 1));
    assertThat(started.tryAcquire(10, TimeUnit.SECONDS)).as("task 2 started").isTrue();
    // Both threads are busy now: what arrives meanwhile waits and becomes one batch.
    for (int i = 3; i <= 5; i++) {
      scheduler.schedule(queue, new Rows(i, 1));
    }
    release.countDown();
    awaitCount(batches, 3);
    assertThat(batches).hasSize(3).contains(List.of(1), List.of(2), List.of(3, 4, 5));
  }

  @Test
  void tasksQueuedBeforeADeferredWakeUpRunsFormOneBatch() throws Exception {
    java.util.Queue<Runnable> wakeups = new java.util.concurrent.ConcurrentLinkedQueue<>();
    try (BatchScheduler deferred = new BatchScheduler("test-burst", 1, clock, wakeups::add)) {
      BatchQueue<Rows> queue =
          deferred.addQueue(
              new BatchingOptions(8, Duration.ZERO, 100),
              batch -> batches.add(batch.stream().map(Rows::id).toList()));
      deferred.schedule(queue, new Rows(0, 1));
      assertThat(wakeups).as("one wake-up pending for the first task").hasSize(1);
      wakeups.poll().run();
      awaitCount(batches, 1);
      awaitWaiting("test-burst-0");
      // A burst: three tasks queued by one caller share one wake-up, and nothing runs before it.
      for (int i = 1; i <= 3; i++) {
        deferred.schedule(queue, new Rows(i, 1));
      }
      assertThat(wakeups).hasSize(1);
      assertThat(batches).containsExactly(List.of(0));
      wakeups.poll().run();
      awaitCount(batches, 2);
      assertThat(batches).containsExactly(List.of(0), List.of(1, 2, 3));
    }
  }

  private static void awaitWaiting(String threadName) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      for (Thread thread : Thread.getAllStackTraces().keySet()) {
        if (thread.getName().equals(threadName) && thread.getState() == Thread.State.WAITING) {
          return;
        }
      }
      Thread.sleep(5);
    }
    throw new AssertionError(threadName + " never waited for work");
  }

  @Test
  void runsAPartialBatchOnlyOnceTheDelayHasPassed() throws Exception {
    BatchQueue<Rows> queue =
        scheduler.addQueue(
            new BatchingOptions(8, Duration.ofMillis(10), 100),
            batch -> batches.add(batch.stream().map(Rows::id).toList()));
    scheduler.schedule(queue, new Rows(1, 1));
    scheduler.schedule(queue, new Rows(2, 2));
    Thread.sleep(100);
    assertThat(batches).as("the fake clock has not moved").isEmpty();
    clock.advance(Duration.ofMillis(10));
    scheduler.wakeUp();
    awaitCount(batches, 1);
    assertThat(batches).containsExactly(List.of(1, 2));
  }

  @Test
  void refusesWhenTheQueueIsFull() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    BatchQueue<Rows> queue =
        scheduler.addQueue(
            new BatchingOptions(1, Duration.ZERO, 2),
            batch -> {
              try {
                release.await(10, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              batches.add(batch.stream().map(Rows::id).toList());
            });
    int accepted = 0;
    for (int i = 0; i < 10; i++) {
      if (scheduler.schedule(queue, new Rows(i, 1))) {
        accepted++;
      }
    }
    assertThat(accepted).as("two running, two queued").isBetween(2, 4);
    release.countDown();
    awaitCount(batches, accepted);
    assertThat(batches).hasSize(accepted);
  }

  @Test
  void servesManyQueuesFromOnePool() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    BatchQueue<Rows> a =
        scheduler.addQueue(
            new BatchingOptions(2, Duration.ofHours(1), 10), b -> seen.add("a" + b.size()));
    BatchQueue<Rows> b =
        scheduler.addQueue(
            new BatchingOptions(3, Duration.ofHours(1), 10), x -> seen.add("b" + x.size()));
    scheduler.schedule(a, new Rows(1, 1));
    scheduler.schedule(b, new Rows(2, 1));
    scheduler.schedule(b, new Rows(3, 2));
    scheduler.schedule(a, new Rows(4, 1));
    awaitCount(seen, 2);
    assertThat(seen).containsExactlyInAnyOrder("a2", "b2");
  }

  @Test
  void removingAQueueHandsBackItsTasks() {
    BatchQueue<Rows> queue =
        scheduler.addQueue(new BatchingOptions(8, Duration.ofHours(1), 10), x -> {});
    scheduler.schedule(queue, new Rows(7, 1));
    assertThat(scheduler.removeQueue(queue)).containsExactly(new Rows(7, 1));
    assertThat(scheduler.schedule(queue, new Rows(8, 1))).isFalse();
  }
}
