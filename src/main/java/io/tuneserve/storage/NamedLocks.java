package io.tuneserve.storage;

import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Mutual exclusion by name: on this node only ({@link #local()}), or across the cluster, so two
 * nodes changing the same stored thing take turns.
 */
public interface NamedLocks {

  /** Work done while holding a lock. */
  @FunctionalInterface
  interface Locked<T> {
    T run() throws IOException;
  }

  /** Runs {@code work} while no other holder of {@code name}'s lock runs. */
  <T> T locked(String name, Locked<T> work) throws IOException;

  /** Locks held within this process. */
  static NamedLocks local() {
    ConcurrentHashMap<String, Object> locks = new ConcurrentHashMap<>();
    return new NamedLocks() {
      @Override
      public <T> T locked(String name, Locked<T> work) throws IOException {
        synchronized (locks.computeIfAbsent(name, n -> new Object())) {
          return work.run();
        }
      }
    };
  }
}
