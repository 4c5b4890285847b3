package io.tuneserve.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.tuneserve.config.ServerConfig;
import io.tuneserve.registry.StoredCheckpoint;
import io.tuneserve.registry.VersionRecord;
import io.tuneserve.repository.VersionManifest;
import io.tuneserve.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The Hazelcast member settings in conf/ (loopback only by default, DNS discovery for Kubernetes)
 * and the replicated checkpoint store on a real member, across chunk boundaries.
 */
class HazelcastSetupTest {

  @Test
  void theDefaultConfigurationStaysOnLoopback() throws Exception {
    Config config =
        ClusterMember.hazelcastConfig(new ServerConfig.Cluster("", "", 0, "", "127.0.0.1", 0));
    JoinConfig join = config.getNetworkConfig().getJoin();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().getMembers())
        .containsExactly("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703");
    assertThat(config.getNetworkConfig().getInterfaces().getInterfaces())
        .containsExactly("127.0.0.1");
    assertThat(config.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
    assertThat(config.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
    assertThat(config.getMapConfig("tuneserve.versions").getBackupCount()).isEqualTo(1);
    assertThat(config.getMapConfig("tuneserve.checkpoint-chunks").getBackupCount()).isEqualTo(1);

    config.setClusterName("defaults-" + UUID.randomUUID());
    HazelcastInstance member = Hazelcast.newHazelcastInstance(config);
    try {
      assertThat(member.getCluster().getLocalMember().getAddress().getHost())
          .isEqualTo("127.0.0.1");
      assertThat(member.getCluster().getLocalMember().getAddress().getPort()).isBetween(5701, 5800);
    } finally {
      member.shutdown();
    }

    Config overridden =
        ClusterMember.hazelcastConfig(
            new ServerConfig.Cluster("", "mine", 6100, "127.0.0.1:6100, 127.0.0.1:6101", "x", 0));
    assertThat(overridden.getClusterName()).isEqualTo("mine");
    assertThat(overridden.getNetworkConfig().getPort()).isEqualTo(6100);
    assertThat(overridden.getNetworkConfig().getJoin().getTcpIpConfig().getMembers())
        .containsExactly("127.0.0.1:6100", "127.0.0.1:6101");
  }

  @Test
  void theKubernetesVariantDiscoversMembersThroughTheHeadlessService() throws Exception {
    Config config =
        ClusterMember.hazelcastConfig(
            new ServerConfig.Cluster("conf/hazelcast-kubernetes.yaml", "", 0, "", "127.0.0.1", 0));
    JoinConfig join = config.getNetworkConfig().getJoin();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(join.getKubernetesConfig().getProperty("service-dns"))
        .startsWith("tuneserve-hazelcast.");
    assertThat(config.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
  }

  @Test
  void replicatedCheckpointsComeBackByteForByteAcrossChunkBoundaries() throws Exception {
    int port = TestServer.freePort();
    Config config =
        ClusterMember.hazelcastConfig(
            new ServerConfig.Cluster(
                "", "chunks-" + UUID.randomUUID(), port, "127.0.0.1:" + port, "127.0.0.1", 0));
    HazelcastInstance hazelcast = Hazelcast.newHazelcastInstance(config);
    Path version = Files.createTempDirectory("tuneserve-version");
    Path fetched = Files.createTempDirectory("tuneserve-fetched");
    try {
      Random random = new Random(7);
      int chunk = HazelcastChunkStore.CHUNK_BYTES;
      for (int size : new int[] {0, 1, chunk, chunk + 1, 2 * chunk + 5}) {
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        Files.createDirectories(version.resolve("variables"));
        Files.write(version.resolve("variables/file-" + size), bytes);
      }
      VersionManifest manifest = VersionManifest.of(version);
      HazelcastChunkStore store = new HazelcastChunkStore(hazelcast);
      StoredCheckpoint stored = store.put("m", 1, version, manifest);
      VersionRecord record =
          new VersionRecord(
              "m",
              1,
              manifest.digest(),
              manifest.bytes(),
              manifest.files(),
              stored.store(),
              stored.location(),
              null,
              null,
              null,
              false,
              "now",
              "node");
      assertThat(hazelcast.getMap("tuneserve.checkpoint-chunks").size())
          .as("chunks of at most 1 MB")
          .isEqualTo(1 + 1 + 1 + 2 + 3);
      store.fetch(record, fetched);
      assertThat(manifest.differences(fetched)).isEmpty();
      store.delete(record);
      assertThat(hazelcast.getMap("tuneserve.checkpoint-chunks").size()).isZero();
    } finally {
      hazelcast.shutdown();
      TestServer.deleteTree(version);
      TestServer.deleteTree(fetched);
    }
  }
}
