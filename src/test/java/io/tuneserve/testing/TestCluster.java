package io.tuneserve.testing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A cluster of its own for one test: a fresh name and free loopback member ports, so it never meets
 * another test's members.
 */
public final class TestCluster {
  private final String name;
  private final List<Integer> ports;

  private TestCluster(String name, List<Integer> ports) {
    this.name = name;
    this.ports = ports;
  }

  /** Room for {@code members} nodes. */
  public static TestCluster of(int members) throws IOException {
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < members; i++) {
      ports.add(TestServer.freePort());
    }
    return new TestCluster("test-" + UUID.randomUUID(), List.copyOf(ports));
  }

  /** The configuration keys that make a node the {@code index}th member of this cluster. */
  public Map<String, Object> member(int index) {
    return Map.of(
        "cluster.name",
        name,
        "cluster.port",
        ports.get(index),
        "cluster.members",
        String.join(",", ports.stream().map(p -> "127.0.0.1:" + p).toList()));
  }
}
