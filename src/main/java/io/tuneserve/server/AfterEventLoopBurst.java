package io.tuneserve.server;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.Executor;

/**
 * Runs a task on the calling event loop once it has handled the I/O it is busy with (every request
 * that arrived in the same burst), or at once when called from any other thread.
 */
final class AfterEventLoopBurst implements Executor {
  @Override
  public void execute(Runnable task) {
    Context context = Vertx.currentContext();
    if (context != null && context.isEventLoopContext()) {
      context.runOnContext(v -> task.run());
    } else {
      task.run();
    }
  }
}
