package io.tuneserve.bench;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A cluster of three server JVMs on this machine, joined over loopback (a cluster name of their
 * own), each with one event loop and one batch thread; the first node's model directory is filled
 * by the caller.
 */
final class ThreeNodes implements AutoCloseable {
  /** Fills the first node's model directory. */
  @FunctionalInterface
  interface Seed {
    void into(Path models) throws Exception;
  }

  private final List<ServerProcess> nodes = new ArrayList<>();
  private final List<String> urls = new ArrayList<>();

  private ThreeNodes() {}

  /** Starts the nodes on {@code cores}, logging to {@code <logs>/<name>-node<i>.log}, and waits until all are ready. */
  static ThreeNodes start(String name, String cores, Path logs, Seed seed) throws Exception {
    return start(name, cores, logs, seed, Map.of());
  }

  /** As {@link #start(String, String, Path, Seed)}, each node with {@code settings} besides (environment variables). */
  static ThreeNodes start(String name, String cores, Path logs, Seed seed, Map<String, String> settings) throws Exception {
    ThreeNodes cluster = new ThreeNodes();
    try {
      List<Integer> members = List.of(freePort(), freePort(), freePort());
      String clusterName = name + "-" + UUID.randomUUID();
      String memberList = String.join(",", members.stream().map(p -> "127.0.0.1:" + p).toList());
      for (int i = 0; i < 3; i++) {
        Path models = Files.createTempDirectory("tuneserve-" + name);
        if (i == 0) {
          seed.into(models);
        }
        int port = freePort();
        Map<String, String> env = new HashMap<>();
        env.put("TUNESERVE_CLUSTER__NAME", clusterName);
        env.put("TUNESERVE_CLUSTER__PORT", Integer.toString(members.get(i)));
        env.put("TUNESERVE_CLUSTER__MEMBERS", memberList);
        env.put("TUNESERVE_MODELS__POLL_INTERVAL_SECONDS", "0");
        env.put("TUNESERVE_HTTP__EVENT_LOOPS", "1");
        env.put("TUNESERVE_BATCHING__THREADS", "1");
        env.putAll(settings);
        cluster.nodes.add(
            ServerProcess.start(
                "node" + i,
                cores,
                List.of(ServerProcess.javaBinary(), "-jar", "target/tuneserve.jar", "serve", "--port", Integer.toString(port), "--models", models.toString()),
                env,
                logs.resolve(name + "-node" + i + ".log")));
        cluster.urls.add("http://127.0.0.1:" + port);
      }
      for (int i = 0; i < 3; i++) {
        cluster.nodes.get(i).awaitReady(cluster.urls.get(i) + "/v2/health/ready", Duration.ofSeconds(120));
      }
      return cluster;
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
  }

  /** The nodes' base URLs, {@code http://127.0.0.1:<port>}. */
  List<String> urls() {
    return urls;
  }

  static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    for (ServerProcess node : nodes) {
      node.close();
    }
  }
}
