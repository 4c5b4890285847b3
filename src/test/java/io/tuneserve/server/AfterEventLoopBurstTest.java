package io.tuneserve.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AfterEventLoopBurstTest {
  private final AfterEventLoopBurst executor = new AfterEventLoopBurst();

  @Test
  void offAnEventLoopTheTaskRunsAtOnce() {
    List<String> ran = new CopyOnWriteArrayList<>();
    executor.execute(() -> ran.add(Thread.currentThread().getName()));
    assertThat(ran).containsExactly(Thread.currentThread().getName());
  }

  @Test
  void onAnEventLoopTheTaskRunsOnThatLoopAfterWhatItIsDoing() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      List<String> order = new CopyOnWriteArrayList<>();
      CompletableFuture<String> loop = new CompletableFuture<>();
      CompletableFuture<String> task = new CompletableFuture<>();
      vertx
          .getOrCreateContext()
          .runOnContext(
              v -> {
                loop.complete(Thread.currentThread().getName());
                executor.execute(
                    () -> {
                      order.add("task");
                      task.complete(Thread.currentThread().getName());
                    });
                order.add("rest of the handler");
              });
      assertThat(task.get(10, TimeUnit.SECONDS)).isEqualTo(loop.get(10, TimeUnit.SECONDS));
      assertThat(order).containsExactly("rest of the handler", "task");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
