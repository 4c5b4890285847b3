package io.tuneserve.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.tuneserve.registry.ModelRecord;
import io.tuneserve.registry.ModelRegistry;
import io.tuneserve.registry.NodeRecord;
import io.tuneserve.registry.NodeVersionState;
import io.tuneserve.registry.VersionRecord;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The registry in Hazelcast maps (one backup each): records are JSON strings, so every node reads
 * them whatever its classes.
 */
final class HazelcastRegistry implements ModelRegistry {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HazelcastInstance hazelcast;
  private final String nodeId;
  private final IMap<String, String> models;
  private final IMap<String, String> versions;
  private final IMap<String, String> deleted;
  private final IMap<String, String> states;
  private final IMap<String, String> nodes;
  private final IMap<String, String> locks;
  private final IMap<String, String> signatures;
  private final List<Runnable> changeListeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<String>> nodeLeftListeners = new CopyOnWriteArrayList<>();

  HazelcastRegistry(HazelcastInstance hazelcast) {
    this.hazelcast = hazelcast;
    this.nodeId = hazelcast.getCluster().getLocalMember().getUuid().toString();
    this.models = hazelcast.getMap("tuneserve.models");
    this.versions = hazelcast.getMap("tuneserve.versions");
    this.deleted = hazelcast.getMap("tuneserve.deleted-versions");
    this.states = hazelcast.getMap("tuneserve.version-states");
    this.nodes = hazelcast.getMap("tuneserve.nodes");
    this.locks = hazelcast.getMap("tuneserve.locks");
    this.signatures = hazelcast.getMap("tuneserve.signatures");
    ChangeListener listener = new ChangeListener();
    models.addEntryListener(listener, false);
    versions.addEntryListener(listener, false);
    MemberDepartures.listen(hazelcast, this::nodeLeft);
  }

  /** Fires the change listeners for any added, updated or removed record. */
  private final class ChangeListener
      implements EntryAddedListener<String, String>,
          EntryUpdatedListener<String, String>,
          EntryRemovedListener<String, String> {
    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      changeListeners.forEach(Runnable::run);
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      changeListeners.forEach(Runnable::run);
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
      changeListeners.forEach(Runnable::run);
    }
  }

  private void nodeLeft(Member member) {
    String left = member.getUuid().toString();
    nodes.delete(left);
    states.keySet().stream().filter(key -> key.startsWith(left + "/")).forEach(states::delete);
    nodeLeftListeners.forEach(listener -> listener.accept(left));
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public Map<String, NodeRecord> nodes() {
    Set<String> members =
        hazelcast.getCluster().getMembers().stream()
            .map(m -> m.getUuid().toString())
            .collect(Collectors.toSet());
    Map<String, NodeRecord> live = new TreeMap<>();
    nodes.forEach(
        (id, json) -> {
          if (members.contains(id)) {
            live.put(id, read(json, NodeRecord.class));
          }
        });
    return live;
  }

  @Override
  public void announce(String http) {
    nodes.set(
        nodeId,
        write(
            new NodeRecord(
                nodeId,
                http,
                hazelcast.getCluster().getLocalMember().getAddress().toString(),
                Instant.now().toString())));
  }

  @Override
  public Map<String, ModelRecord> models() {
    Map<String, ModelRecord> all = new TreeMap<>();
    models.forEach((name, json) -> all.put(name, read(json, ModelRecord.class)));
    return all;
  }

  @Override
  public Optional<ModelRecord> model(String name) {
    return Optional.ofNullable(models.get(name)).map(json -> read(json, ModelRecord.class));
  }

  @Override
  public void putModel(ModelRecord model) {
    models.set(model.name(), write(model));
  }

  @Override
  public List<VersionRecord> versions() {
    List<VersionRecord> all = new ArrayList<>();
    versions.values().forEach(json -> all.add(read(json, VersionRecord.class)));
    all.sort(Comparator.comparing(VersionRecord::model).thenComparing(VersionRecord::version));
    return all;
  }

  @Override
  public Optional<VersionRecord> version(String model, long version) {
    return Optional.ofNullable(versions.get(VersionRecord.key(model, version)))
        .map(json -> read(json, VersionRecord.class));
  }

  @Override
  public void putVersion(VersionRecord version) {
    versions.set(version.key(), write(version));
  }

  @Override
  public void removeVersion(String model, long version) {
    String key = VersionRecord.key(model, version);
    deleted.set(key, Instant.now().toString());
    versions.delete(key);
    signatures.delete(key);
  }

  @Override
  public boolean wasDeleted(String model, long version) {
    return deleted.containsKey(VersionRecord.key(model, version));
  }

  @Override
  public Set<String> deletedVersions() {
    return new java.util.HashSet<>(deleted.keySet());
  }

  @Override
  public long highestVersion(String model) {
    String prefix = model + "/";
    long highest = 0;
    for (IMap<String, String> map : List.of(versions, deleted)) {
      for (String key : map.keySet()) {
        if (key.startsWith(prefix)) {
          highest = Math.max(highest, Long.parseLong(key.substring(prefix.length())));
        }
      }
    }
    return highest;
  }

  @Override
  public void recordSignatures(String model, long version, String json) {
    signatures.putIfAbsent(VersionRecord.key(model, version), json);
  }

  @Override
  public Map<String, String> signatures() {
    return new TreeMap<>(signatures);
  }

  @Override
  public void reportState(NodeVersionState state) {
    states.set(nodeId + "/" + VersionRecord.key(state.model(), state.version()), write(state));
  }

  @Override
  public void clearState(String model, long version) {
    states.delete(nodeId + "/" + VersionRecord.key(model, version));
  }

  @Override
  public List<NodeVersionState> states() {
    Map<String, NodeVersionState> sorted = new TreeMap<>();
    states.forEach((key, json) -> sorted.put(key, read(json, NodeVersionState.class)));
    return new ArrayList<>(sorted.values());
  }

  @Override
  public <T> T underModelLock(String model, Callable<T> action) throws Exception {
    locks.lock(model);
    try {
      return action.call();
    } finally {
      locks.unlock(model);
    }
  }

  @Override
  public void onChange(Runnable listener) {
    changeListeners.add(listener);
  }

  @Override
  public void onNodeLeft(Consumer<String> listener) {
    nodeLeftListeners.add(listener);
  }

  private static String write(Object record) {
    try {
      return JSON.writeValueAsString(record);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static <T> T read(String json, Class<T> type) {
    try {
      return JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
