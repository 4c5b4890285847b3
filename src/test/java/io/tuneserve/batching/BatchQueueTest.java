package io.tuneserve.batching;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchQueueTest {
  private final FakeClock clock = new FakeClock();
  private final BatchQueue<Rows> queue =
      BatchQueue.standalone(new BatchingOptions(8, Duration.ofMillis(5), 4), batch -> {});

  record Rows(int size) implements BatchTask {}

  @Test
  void waitsUntilTheBatchIsFullOrTheDelayPasses() {
    queue.offer(new Rows(3), clock.nanoTime());
    assertThat(queue.isReady(clock.nanoTime())).isFalse();
    clock.advance(Duration.ofMillis(4));
    queue.offer(new Rows(2), clock.nanoTime());
    assertThat(queue.isReady(clock.nanoTime())).isFalse();
    clock.advance(Duration.ofMillis(1));
    assertThat(queue.isReady(clock.nanoTime())).as("oldest task waited 5 ms").isTrue();
    assertThat(queue.takeBatch()).containsExactly(new Rows(3), new Rows(2));
    assertThat(queue.queuedTasks()).isZero();
  }

  @Test
  void closesAsSoonAsEnoughRowsAreQueued() {
    queue.offer(new Rows(5), clock.nanoTime());
    queue.offer(new Rows(3), clock.nanoTime());
    assertThat(queue.isReady(clock.nanoTime())).isTrue();
    assertThat(queue.takeBatch()).extracting(Rows::size).containsExactly(5, 3);
  }

  @Test
  void neverSplitsATaskAndKeepsArrivalOrder() {
    queue.offer(new Rows(5), clock.nanoTime());
    queue.offer(new Rows(4), clock.nanoTime());
    queue.offer(new Rows(1), clock.nanoTime());
    List<Rows> first = queue.takeBatch();
    assertThat(first).extracting(Rows::size).containsExactly(5);
    assertThat(queue.queuedRows()).isEqualTo(5);
    assertThat(queue.takeBatch()).extracting(Rows::size).containsExactly(4, 1);
  }

  @Test
  void aTaskLargerThanTheBatchRunsAlone() {
    queue.offer(new Rows(20), clock.nanoTime());
    queue.offer(new Rows(1), clock.nanoTime());
    assertThat(queue.takeBatch()).extracting(Rows::size).containsExactly(20);
    assertThat(queue.takeBatch()).extracting(Rows::size).containsExactly(1);
  }

  @Test
  void refusesTasksWhenFullInsteadOfGrowing() {
    for (int i = 0; i < 4; i++) {
      assertThat(queue.offer(new Rows(1), clock.nanoTime())).isTrue();
    }
    assertThat(queue.offer(new Rows(1), clock.nanoTime())).isFalse();
    assertThat(queue.queuedTasks()).isEqualTo(4);
  }

  @Test
  void deadlineFollowsTheOldestTask() {
    assertThat(queue.deadline()).isEqualTo(Long.MAX_VALUE);
    long start = clock.nanoTime();
    queue.offer(new Rows(1), start);
    clock.advance(Duration.ofMillis(3));
    queue.offer(new Rows(1), clock.nanoTime());
    assertThat(queue.deadline()).isEqualTo(start + Duration.ofMillis(5).toNanos());
  }

  @Test
  void closingHandsBackWaitingTasksAndRefusesNewOnes() {
    queue.offer(new Rows(1), clock.nanoTime());
    assertThat(queue.close()).containsExactly(new Rows(1));
    assertThat(queue.offer(new Rows(1), clock.nanoTime())).isFalse();
    assertThat(queue.isClosed()).isTrue();
  }
}
