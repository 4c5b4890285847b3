package io.tuneserve.registry;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * The cluster's record of models and their published versions, shared by every node: what exists,
 * where its files are, where it came from, and which node has it loaded. A single node is a cluster
 * of one and uses the same registry.
 */
public interface ModelRegistry {
  /** This node's id in the cluster. */
  String nodeId();

  /** Every node in the cluster now, by id. */
  Map<String, NodeRecord> nodes();

  /** Announces this node, with the base URL of its HTTP API, to the others. */
  void announce(String http);

  Map<String, ModelRecord> models();

  Optional<ModelRecord> model(String name);

  void putModel(ModelRecord model);

  /** Every registered version of every model. */
  List<VersionRecord> versions();

  Optional<VersionRecord> version(String model, long version);

  /** Registers (or replaces) a version; it becomes visible to every node at once. */
  void putVersion(VersionRecord version);

  /** Removes a version and remembers it was deleted, so no node registers it again. */
  void removeVersion(String model, long version);

  boolean wasDeleted(String model, long version);

  /** The keys ({@link VersionRecord#key}) of every deleted version. */
  Set<String> deletedVersions();

  /** The highest version number a model has ever had, deleted ones included; 0 if none. */
  long highestVersion(String model);

  /**
   * Records the signatures of a version (JSON: name to inputs and outputs with their types and
   * shapes), as the first node that loads it reads them; later calls change nothing.
   */
  void recordSignatures(String model, long version, String signatures);

  /** The recorded signatures of every version, by version key. */
  Map<String, String> signatures();

  /** Records how a version is doing on this node. */
  void reportState(NodeVersionState state);

  /** Forgets this node's state of a version it no longer has. */
  void clearState(String model, long version);

  /** What every node reported, for every version. */
  List<NodeVersionState> states();

  /** Runs an action while holding the cluster-wide lock of a model (released if this node dies). */
  <T> T underModelLock(String model, Callable<T> action) throws Exception;

  /** Called after any model or version record changes, on a thread of the registry. */
  void onChange(Runnable listener);

  /** Called with the id of a node that left the cluster. */
  void onNodeLeft(Consumer<String> listener);
}
