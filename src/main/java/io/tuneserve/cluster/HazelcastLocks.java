package io.tuneserve.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.tuneserve.storage.NamedLocks;
import java.io.IOException;

/**
 * Cluster-wide locks by name, as keys of a Hazelcast map locked by the member's thread: released
 * when the work ends, or when the member holding one leaves the cluster.
 */
final class HazelcastLocks implements NamedLocks {
  private final IMap<String, Boolean> locks;

  HazelcastLocks(HazelcastInstance hazelcast, String purpose) {
    this.locks = hazelcast.getMap("tuneserve-locks-" + purpose);
  }

  @Override
  public <T> T locked(String name, Locked<T> work) throws IOException {
    locks.lock(name);
    try {
      return work.run();
    } finally {
      locks.unlock(name);
    }
  }
}
