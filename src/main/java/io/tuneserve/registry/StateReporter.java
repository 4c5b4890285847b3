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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Tells the registry how this node's versions are doing, and the signatures of the versions it has
 * loaded first. Reports asked for while one waits share it; they run on a thread of their own, so
 * loading is never held up by the registry.
 */
final class StateReporter implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(StateReporter.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RegistrySync sync;
  private final ModelManager manager;
  private final Clock clock;
  private final Set<String> signaturesRecorded = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean pending = new AtomicBoolean();
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "tuneserve-registry-report");
            t.setDaemon(true);
            return t;
          });

  StateReporter(RegistrySync sync, ModelManager manager, Clock clock) {
    this.sync = sync;
    this.manager = manager;
    this.clock = clock;
  }

  /** Reports soon, from the reporter's thread. */
  void reportSoon() {
    if (pending.compareAndSet(false, true)) {
      thread.execute(
          () -> {
            pending.set(false);
            try {
              report();
            } catch (RuntimeException e) {
              LOG.log(Level.WARNING, "cannot report this node's versions to the registry", e);
            }
          });
    }
  }

  /** Reports the manager's version states to the registry. */
  void report() {
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
  }
}
