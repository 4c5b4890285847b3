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

  /**
   * Starts one node per member, each a JVM of its own with one event loop and one batch thread; the
   * first has the demo model with versions {@code 1 .. demoVersions}; every node gets {@code
   * settings} besides. Returns once all are ready.
   */
  public List<NodeProcess> startNodes(int demoVersions, Map<String, Object> settings)
      throws Exception {
    List<NodeProcess> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < ports.size(); i++) {
        java.nio.file.Path models = java.nio.file.Files.createTempDirectory("tuneserve-node" + i);
        if (i == 0) {
          for (int version = 1; version <= demoVersions; version++) {
            TestServer.copyTree(
                TestData.fashionConvnet(), models.resolve("fashion-convnet/" + version));
          }
          java.nio.file.Files.copy(
              TestData.fashionConvnetSettings(), models.resolve("fashion-convnet/model.yaml"));
        }
        Map<String, Object> node = new java.util.HashMap<>(member(i));
        node.put("models.poll_interval_seconds", 0);
        node.put("http.event_loops", 1);
        node.put("batching.threads", 1);
        node.put(
            "datasets.directory", java.nio.file.Files.createTempDirectory("tuneserve-datasets"));
        node.putAll(settings);
        nodes.add(NodeProcess.start(models, node));
      }
      for (NodeProcess node : nodes) {
        node.awaitReady(java.time.Duration.ofSeconds(60));
      }
      return nodes;
    } catch (Exception | Error e) {
      for (NodeProcess node : nodes) {
        node.close();
      }
      throw e;
    }
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
