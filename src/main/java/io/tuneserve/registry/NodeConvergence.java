package io.tuneserve.registry;

import io.tuneserve.serving.ModelManager;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Brings this node to what the registry says: agree with the registry (fetch, register, remove),
 * then let the model manager load and unload, then report the outcome ({@link StateReporter}). Runs
 * on one thread of its own; requests that arrive while one round waits to start share that round.
 */
public final class NodeConvergence implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(NodeConvergence.class.getName());

  private final RegistrySync sync;
  private final ModelManager manager;
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "tuneserve-registry-sync");
            t.setDaemon(true);
            return t;
          });
  private final StateReporter reporter;
  private CompletableFuture<Void> waiting;
  private volatile boolean converged;

  public NodeConvergence(RegistrySync sync, ModelManager manager, Clock clock) {
    this.sync = sync;
    this.manager = manager;
    this.reporter = new StateReporter(sync, manager, clock);
    manager.onVersionStateChange(reporter::reportSoon);
  }

  /** True once a whole round has run: the node has caught up with the registry. */
  public boolean converged() {
    return converged && manager.isReady();
  }

  /** Runs a round soon; completes when it is done. */
  public synchronized CompletableFuture<Void> refresh() {
    if (waiting != null) {
      return waiting;
    }
    CompletableFuture<Void> round = new CompletableFuture<>();
    waiting = round;
    thread.execute(
        () -> {
          synchronized (this) {
            waiting = null;
          }
          run(round);
        });
    return round;
  }

  private void run(CompletableFuture<Void> round) {
    boolean agreed = false;
    try {
      sync.sync();
      agreed = true;
    } catch (Exception e) {
      LOG.log(Level.WARNING, "cannot agree with the registry; trying again at the next round", e);
    }
    try {
      manager.rescan().get(10, TimeUnit.MINUTES);
      reporter.report();
      converged |= agreed;
      round.complete(null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      round.completeExceptionally(e);
    } catch (Exception e) {
      LOG.log(Level.SEVERE, "cannot read the model repository", e);
      round.completeExceptionally(e);
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
    reporter.close();
  }
}
