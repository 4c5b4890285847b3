package io.tuneserve.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.testing.ImageJobs;
import io.tuneserve.testing.NodeClient;
import io.tuneserve.testing.TestCluster;
import io.tuneserve.testing.TestServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two nodes with one training thread each: a job submitted to a node whose thread is busy runs on
 * the other one, and a job can be followed and cancelled through a node that does not run it.
 */
class JobHandOverTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] GROUPS = {
    "top", "other", "top", "other", "top", "footwear", "top", "footwear", "other", "footwear"
  };

  @Test
  void aJobGoesToTheNodeWithAFreeTrainingThread() throws Exception {
    ImageJobs jobs = new ImageJobs();
    TestCluster cluster = TestCluster.of(2);
    try (TestServer a = node(new TestServer().withDemoModel(), cluster.member(0));
        TestServer b = node(new TestServer(), cluster.member(1))) {
      a.start();
      b.start();
      NodeClient onA = a.client();
      NodeClient onB = b.client();
      String nodeA = onA.getJson("/v2/registry").get("node").asText();
      String nodeB = onB.getJson("/v2/registry").get("node").asText();

      JsonNode busy =
          submit(
              onA,
              jobs.job(
                  "long",
                  GROUPS,
                  0,
                  60,
                  "\"strategy\": \"fine_tune\","
                      + " \"hyperparameters\": {\"epochs\": 5000, \"patience\": 5000}"));
      assertThat(busy.get("node").asText()).isEqualTo(nodeA);
      String busyId = busy.get("id").asText();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!onB.getJson("/v1/jobs/" + busyId).get("state").asText().equals("RUNNING")) {
        assertThat(System.nanoTime()).as("job running in time").isLessThan(deadline);
        Thread.sleep(50);
      }

      JsonNode handed =
          submit(
              onA,
              jobs.job(
                  "elsewhere",
                  GROUPS,
                  100,
                  60,
                  "\"strategy\": \"feature_extractor\", \"hyperparameters\": {\"epochs\": 2}"));
      assertThat(handed.get("node").asText())
          .as("runs on the node with a free thread")
          .isEqualTo(nodeB);
      JsonNode done = onA.awaitJob(handed.get("id").asText());
      assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
      long served = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (onA.get("/v1/models/elsewhere").statusCode() != 200) {
        assertThat(System.nanoTime()).as("served on A in time").isLessThan(served);
        Thread.sleep(50);
      }

      HttpResponse<String> cancelled =
          onB.send(HttpRequest.newBuilder(onB.uri("/v1/jobs/" + busyId)).DELETE());
      assertThat(cancelled.statusCode()).isEqualTo(202);
      JsonNode ended = onB.awaitJob(busyId);
      assertThat(ended.get("state").asText()).isEqualTo("CANCELLED");
      assertThat(onB.get("/v1/models/long").statusCode()).isEqualTo(404);
    }
  }

  private static JsonNode submit(NodeClient node, String request) throws Exception {
    HttpResponse<String> submitted = node.post("/v1/jobs", request);
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    return JSON.readTree(submitted.body());
  }

  private static TestServer node(TestServer server, Map<String, Object> member) {
    return server.joining(member).set("training.max_concurrent_jobs", 1);
  }
}
