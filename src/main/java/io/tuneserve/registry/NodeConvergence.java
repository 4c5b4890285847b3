package io.tuneserve.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ModelStatus;
import io.tuneserve.serving.ServedVersion;
import io.tuneserve.serving.VersionState;
import io.tuneserve.serving.VersionStatus;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Set<String> signaturesRecorded = ConcurrentHashMap.newKeySet();
  private CompletableFuture<Void> waiting;
  private final java.util.concurrent.atomic.AtomicBoolean reportPending =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final ExecutorService reporter =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "tuneserve-registry-report");
            t.setDaemon(true);
            return t;
          });
  private volatile boolean converged;

  public NodeConvergence(RegistrySync sync, ModelManager manager, Clock clock) {
    this.sync = sync;
    this.manager = manager;
    this.clock = clock;
    manager.onVersionStateChange(this::reportSoon);
  }

  /** Reports the manager's states from a thread of its own, so loading is never held up. */
  private void reportSoon() {
    if (reportPending.compareAndSet(false, true)) {
      reporter.execute(
          () -> {
            reportPending.set(false);
            try {
              report();
            } catch (RuntimeException e) {
              LOG.log(Level.WARNING, "cannot report this node's versions to the registry", e);
            }
          });
    }
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
    boolean agreed = false;
    try {
      sync.sync();
      agreed = true;
    } catch (Exception e) {
      LOG.log(Level.WARNING, "cannot agree with the registry; trying again at the next round", e);
    }
    try {
      manager.rescan().get(10, TimeUnit.MINUTES);
      report();
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

  /** Reports the manager's version states to the registry. */
  public void report() {
    Map<String, NodeVersionState> states = new HashMap<>();
    String node = sync.registry().nodeId();
    String at = clock.instant().toString();
    for (ModelStatus model : manager.status()) {
      for (VersionStatus version : model.versions()) {
        if (version.state() == VersionState.AVAILABLE) {
          recordSignatures(model.name(), version.version());
        }
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

  /** Records a loaded version's signatures in the registry, once per version and node. */
  private void recordSignatures(String model, long version) {
    String key = VersionRecord.key(model, version);
    if (signaturesRecorded.contains(key)) {
      return;
    }
    ServedVersion served;
    try {
      served = manager.acquire(model, OptionalLong.of(version));
    } catch (ServingException notServing) {
      return;
    }
    try {
      ObjectNode all = JSON.createObjectNode();
      served
          .signatures()
          .forEach(
              (name, signature) -> {
                ObjectNode entry = all.putObject(name);
                describe(entry.putObject("inputs"), signature.inputs());
                describe(entry.putObject("outputs"), signature.outputs());
              });
      sync.registry().recordSignatures(model, version, all.toString());
      signaturesRecorded.add(key);
    } finally {
      served.release();
    }
  }

  private static void describe(ObjectNode into, Map<String, TensorSpec> tensors) {
    tensors.forEach(
        (name, spec) -> {
          ObjectNode tensor = into.putObject(name);
          tensor.put("dtype", spec.tfType());
          ArrayNode shape = tensor.putArray("shape");
          if (spec.shape() != null) {
            for (long dim : spec.shape()) {
              shape.add(dim);
            }
          }
        });
  }

  @Override
  public void close() {
    thread.shutdownNow();
    reporter.shutdownNow();
  }
}
