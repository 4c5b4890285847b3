package io.tuneserve.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A Hazelcast map of JSON documents by key, mirrored on every node by an entry listener, so a
 * request reads a document without a network call and a change reaches every member as one event.
 * Documents are immutable values: a change replaces one whole.
 */
final class MirroredMap<T> {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final IMap<String, String> map;
  private final JavaType type;
  private final ConcurrentHashMap<String, T> mirror = new ConcurrentHashMap<>();
  private final java.util.List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

  MirroredMap(HazelcastInstance hazelcast, String name, JavaType type) {
    this.map = hazelcast.getMap(name);
    this.type = type;
    map.addEntryListener(new Mirror(), true);
    map.forEach((key, json) -> mirror.put(key, read(json)));
  }

  MirroredMap(HazelcastInstance hazelcast, String name, Class<T> type) {
    this(hazelcast, name, JSON.getTypeFactory().constructType(type));
  }

  static ObjectMapper json() {
    return JSON;
  }

  /** Calls {@code listener} with the key of each document that changes, on any node. */
  void onChange(Consumer<String> listener) {
    listeners.add(listener);
  }

  /** This node's copy of a document. */
  Optional<T> get(String key) {
    return Optional.ofNullable(mirror.get(key));
  }

  /** This node's copy of every document. */
  Map<String, T> all() {
    return Map.copyOf(mirror);
  }

  /**
   * Replaces a document with what {@code change} makes of the current one (null: none), under the
   * key's cluster-wide lock; a null result removes it. Returns the document as it was.
   */
  Optional<T> update(String key, UnaryOperator<T> change) {
    map.lock(key);
    try {
      String json = map.get(key);
      T before = json == null ? null : read(json);
      T after = change.apply(before);
      if (after == null) {
        if (before != null) {
          map.delete(key);
          mirrored(key, null);
        }
      } else {
        map.set(key, write(after));
        mirrored(key, after);
      }
      return Optional.ofNullable(before);
    } finally {
      map.unlock(key);
    }
  }

  void put(String key, T value) {
    update(key, before -> value);
  }

  /** Removes a document; the one removed, if there was one. */
  Optional<T> remove(String key) {
    return update(key, before -> null);
  }

  private void mirrored(String key, T now) {
    if (now == null) {
      mirror.remove(key);
    } else {
      mirror.put(key, now);
    }
    listeners.forEach(listener -> listener.accept(key));
  }

  private final class Mirror
      implements EntryAddedListener<String, String>,
          EntryUpdatedListener<String, String>,
          EntryRemovedListener<String, String> {
    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      mirrored(event.getKey(), read(event.getValue()));
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      mirrored(event.getKey(), read(event.getValue()));
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
      mirrored(event.getKey(), null);
    }
  }

  private T read(String json) {
    try {
      return JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String write(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
