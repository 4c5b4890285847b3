package io.tuneserve.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.testing.NodeClient;
import io.tuneserve.testing.NodeProcess;
import io.tuneserve.testing.TestCluster;
import io.tuneserve.testing.TestData;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Version labels in a cluster of three JVMs: a label set through one node decides what every node
 * serves, and a version that the policy would not serve is loaded everywhere once labelled.
 */
class LabelsClusterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ZEROS = TestData.OIP_BLANK_IMAGE;

  /** Waits until the node answers OIP requests at {@code path} with {@code version}. */
  private static void awaitAnswer(NodeClient node, String path, String version) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String last = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> reply = node.post(path, ZEROS);
      last = reply.statusCode() + " " + reply.body();
      if (reply.statusCode() == 200
          && JSON.readTree(reply.body()).get("model_version").asText().equals(version)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError(path + " never answered with version " + version + ": " + last);
  }

  private static void label(NodeClient node, String label, long version) throws Exception {
    HttpResponse<String> reply =
        node.send(
            HttpRequest.newBuilder(node.uri("/v1/models/fashion-convnet/labels/" + label))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"version\": " + version + "}"))
                .header("content-type", "application/json"));
    assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
  }

  @Test
  void aLabelSetOnOneNodeDecidesWhatEveryNodeServes() throws Exception {
    List<NodeProcess> nodes = TestCluster.of(3).startNodes(2, Map.of());
    try {
      String infer = "/v2/models/fashion-convnet/infer";
      for (NodeProcess node : nodes) {
        awaitAnswer(node.client(), infer, "2");
      }

      label(nodes.get(1).client(), "stable", 1);
      for (NodeProcess node : nodes) {
        awaitAnswer(node.client(), infer, "1");
        awaitAnswer(node.client(), "/v2/models/fashion-convnet/labels/stable/infer", "1");
      }
      label(nodes.get(2).client(), "stable", 2);
      for (NodeProcess node : nodes) {
        awaitAnswer(node.client(), infer, "2");
        assertThat(node.client().get("/v1/models/fashion-convnet/labels").body())
            .contains("\"stable\":\"2\"");
      }
    } finally {
      for (NodeProcess node : nodes) {
        node.close();
      }
    }
  }
}
