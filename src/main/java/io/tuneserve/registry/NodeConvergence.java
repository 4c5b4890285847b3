package io.tuneserve.registry;

import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ModelStatus;
import io.tuneserve.serving.VersionStatus;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Brings this node to what the registry says: agree with the registry (fetch, register, remove),
 * then let the model manager load and unload, then report the outcome. Runs on one thread of its
 * own; requests that arrive while one round waits to start share that round.
 */
public final class NodeConvergence implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(NodeConvergence.class.getName());

  private final RegistrySync sync;
  private final ModelManager manager;
  private final Clock clock;
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "tuneserve-registry-sync");
            t.setDaemon(true);
            return t;
          });
  private CompletableFuture<Void> waiting;
  private volatile boolean converged;

  public NodeConvergence(RegistrySync sync, ModelManager manager, Clock clock) {
    this.sync = sync;
    this.manager = manager;
    this.clock = clock;
  }

  public RegistrySync sync() {
    return sync;
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
    try {
      sync.sync();
    } catch (Exception e) {
      LOG.log(Level.WARNING, "cannot agree with the registry", e);
    }
    try {
      manager.rescan().get(10, TimeUnit.MINUTES);
      report();
      converged = true;
      round.complete(null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      round.completeExceptionally(e);
    } catch (Exception e) {
      LOG.log(Level.SEVERE, "cannot read the model repository", e);
      round.completeExceptionally(e);
    }
  }

  /** Reports the manager's version states to the registry. */
  public void report() {
    Map<String, NodeVersionState> states = new HashMap<>();
    String node = sync.registry().nodeId();
    String at = clock.instant().toString();
    for (ModelStatus model : manager.status()) {
      for (VersionStatus version : model.versions()) {
        states.put(
            VersionRecord.key(model.name(), version.version()),
            new NodeVersionState(
                node,
                model.name(),
                version.version(),
                version.state().name(),
                version.error(),
                at));
      }
    }
    sync.reportStates(states);
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
