package io.tuneserve.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.tuneserve.serving.VersionLabels;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Version labels in a Hazelcast map (model to its labels, as JSON), mirrored on every node by an
 * entry listener so a request reads them without a network call; a change reaches every member as
 * one event.
 */
final class HazelcastLabels implements VersionLabels {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<TreeMap<String, Long>> LABELS = new TypeReference<>() {};

  private final IMap<String, String> labels;
  private final ConcurrentHashMap<String, Map<String, Long>> mirror = new ConcurrentHashMap<>();
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

  HazelcastLabels(HazelcastInstance hazelcast) {
    this.labels = hazelcast.getMap("tuneserve.labels");
    labels.addEntryListener(new Mirror(), true);
    labels.forEach(
        (model, json) ->
            mirror.put(model, java.util.Collections.unmodifiableSortedMap(read(json))));
  }

  /** Calls {@code listener} with the model's name whenever one of its labels changes. */
  void onChange(Consumer<String> listener) {
    listeners.add(listener);
  }

  @Override
  public Map<String, Long> of(String model) {
    return mirror.getOrDefault(model, Map.of());
  }

  @Override
  public void set(String model, String label, long version) {
    labels.lock(model);
    try {
      TreeMap<String, Long> current = current(model);
      current.put(label, version);
      labels.set(model, write(current));
      mirrored(model, current);
    } finally {
      labels.unlock(model);
    }
  }

  @Override
  public boolean remove(String model, String label) {
    labels.lock(model);
    try {
      TreeMap<String, Long> current = current(model);
      if (current.remove(label) == null) {
        return false;
      }
      if (current.isEmpty()) {
        labels.delete(model);
        mirrored(model, null);
      } else {
        labels.set(model, write(current));
        mirrored(model, current);
      }
      return true;
    } finally {
      labels.unlock(model);
    }
  }

  private TreeMap<String, Long> current(String model) {
    String json = labels.get(model);
    return json == null ? new TreeMap<>() : read(json);
  }

  private void changed(String model, String json) {
    mirrored(model, json == null ? null : read(json));
  }

  /** This node's copy of a model's labels becomes {@code now} (null: none), and listeners hear. */
  private void mirrored(String model, TreeMap<String, Long> now) {
    if (now == null) {
      mirror.remove(model);
    } else {
      mirror.put(model, Collections.unmodifiableSortedMap(new TreeMap<>(now)));
    }
    listeners.forEach(listener -> listener.accept(model));
  }

  private final class Mirror
      implements EntryAddedListener<String, String>,
          EntryUpdatedListener<String, String>,
          EntryRemovedListener<String, String> {
    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      changed(event.getKey(), event.getValue());
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      changed(event.getKey(), event.getValue());
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
      changed(event.getKey(), null);
    }
  }

  private static TreeMap<String, Long> read(String json) {
    try {
      return JSON.readValue(json, LABELS);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String write(Map<String, Long> value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
