package io.tuneserve.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.YamlConfigBuilder;
import io.tuneserve.config.ServerConfig;
import io.tuneserve.registry.CheckpointStore;
import io.tuneserve.registry.ModelRegistry;
import io.tuneserve.serving.VersionLabels;
import io.tuneserve.storage.NamedLocks;
import io.tuneserve.training.JobBoard;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * This node's Hazelcast member, shared by the Vert.x event bus and the registry. The member's
 * settings come from a Hazelcast YAML file (conf/hazelcast.yaml built into the jar unless another
 * is configured) with the cluster name, port and member list of tuneserve's configuration on top.
 */
public final class ClusterMember {
  static final String DEFAULT_CONFIG = "conf/hazelcast.yaml";
  private final HazelcastClusterManager clusterManager;

  private ClusterMember(Config config) {
    this.clusterManager = new HazelcastClusterManager(config);
  }

  public static ClusterMember configure(ServerConfig.Cluster settings) throws IOException {
    return new ClusterMember(hazelcastConfig(settings));
  }

  public static Config hazelcastConfig(ServerConfig.Cluster settings) throws IOException {
    Config config;
    try (InputStream in = open(settings.hazelcastConfig())) {
      config = new YamlConfigBuilder(in).build();
    } catch (RuntimeException e) {
      throw new IOException("invalid Hazelcast configuration: " + e.getMessage(), e);
    }
    if (!settings.name().isBlank()) {
      config.setClusterName(settings.name());
    }
    if (settings.port() > 0) {
      config.getNetworkConfig().setPort(settings.port());
    }
    if (!settings.members().isBlank()) {
      List<String> members =
          Arrays.stream(settings.members().split(",")).map(String::trim).toList();
      config.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true).setMembers(members);
    }
    return config;
  }

  private static InputStream open(String file) throws IOException {
    if (file.isBlank()) {
      InputStream in = ClusterMember.class.getResourceAsStream("/" + DEFAULT_CONFIG);
      if (in == null) {
        throw new IOException(DEFAULT_CONFIG + " is missing from the class path");
      }
      return in;
    }
    Path path = Path.of(file);
    if (!Files.isRegularFile(path)) {
      throw new IOException("Hazelcast configuration " + path + " does not exist");
    }
    return Files.newInputStream(path);
  }

  /** What Vert.x clusters through. */
  public ClusterManager clusterManager() {
    return clusterManager;
  }

  /** The registry, once Vert.x has joined the cluster. */
  public ModelRegistry registry() {
    return new HazelcastRegistry(clusterManager.getHazelcastInstance());
  }

  /** The cluster's fine-tuning jobs, once joined. */
  public JobBoard jobBoard() {
    return new HazelcastJobBoard(clusterManager.getHazelcastInstance());
  }

  /**
   * The cluster's version labels, once joined; {@code onChange} hears the name of each model whose
   * labels change, on any node.
   */
  public VersionLabels labels(java.util.function.Consumer<String> onChange) {
    HazelcastLabels labels = new HazelcastLabels(clusterManager.getHazelcastInstance());
    labels.onChange(onChange);
    return labels;
  }

  /** The cluster's rollout settings and trials, once joined. */
  public io.tuneserve.rollout.Rollouts rollouts() {
    return new HazelcastRollouts(clusterManager.getHazelcastInstance());
  }

  /** The cluster's continual settings, feedback bookkeeping and recent predictions, once joined. */
  public io.tuneserve.feedback.FeedbackStore feedback() {
    return new HazelcastFeedback(clusterManager.getHazelcastInstance());
  }

  /** Locks that datasets take across the cluster while they change, once joined. */
  public NamedLocks datasetLocks() {
    return new HazelcastLocks(clusterManager.getHazelcastInstance(), "datasets");
  }

  /** The checkpoint store that keeps files in the cluster itself, once joined. */
  public CheckpointStore replicatedStore() {
    return new HazelcastChunkStore(clusterManager.getHazelcastInstance());
  }
}
