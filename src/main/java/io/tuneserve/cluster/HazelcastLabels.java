package io.tuneserve.cluster;

import com.hazelcast.core.HazelcastInstance;
import io.tuneserve.serving.VersionLabels;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/** Version labels as one document per model (its labels and their versions), on every node. */
final class HazelcastLabels implements VersionLabels {
  private final MirroredMap<TreeMap<String, Long>> labels;

  HazelcastLabels(HazelcastInstance hazelcast) {
    this.labels =
        new MirroredMap<>(
            hazelcast,
            "tuneserve.labels",
            MirroredMap.json()
                .getTypeFactory()
                .constructMapType(TreeMap.class, String.class, Long.class));
  }

  /** Calls {@code listener} with the model's name whenever one of its labels changes. */
  void onChange(Consumer<String> listener) {
    labels.onChange(listener);
  }

  @Override
  public Map<String, Long> of(String model) {
    return labels.get(model).<Map<String, Long>>map(Collections::unmodifiableMap).orElse(Map.of());
  }

  @Override
  public void set(String model, String label, long version) {
    labels.update(
        model,
        before -> {
          TreeMap<String, Long> after = before == null ? new TreeMap<>() : new TreeMap<>(before);
          after.put(label, version);
          return after;
        });
  }

  @Override
  public boolean remove(String model, String label) {
    AtomicBoolean removed = new AtomicBoolean();
    labels.update(
        model,
        before -> {
          if (before == null || !before.containsKey(label)) {
            return before;
          }
          removed.set(true);
          TreeMap<String, Long> after = new TreeMap<>(before);
          after.remove(label);
          return after.isEmpty() ? null : after;
        });
    return removed.get();
  }
}
