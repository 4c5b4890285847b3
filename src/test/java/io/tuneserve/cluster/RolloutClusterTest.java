package io.tuneserve.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.testing.ImageJobs;
import io.tuneserve.testing.NodeClient;
import io.tuneserve.testing.NodeProcess;
import io.tuneserve.testing.TestCluster;
import io.tuneserve.testing.TestData;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Canary and shadow trials in a cluster of three JVMs: a candidate that passed the accuracy check
 * answers its share of unlabelled requests on every node, or runs on copies of them without ever
 * answering, and the trial's figures from all nodes decide whether it becomes stable.
 */
class RolloutClusterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] GROUPS = {
    "top", "other", "top", "other", "top", "footwear", "top", "footwear", "other", "footwear"
  };
  private static final String INFER = "/v2/models/groups/infer";

  @Test
  void aCanaryTrialPromotesAndAShadowTrialKeepsACandidateThatDisagrees() throws Exception {
    ImageJobs jobs = new ImageJobs();
    List<NodeProcess> nodes = TestCluster.of(3).startNodes(1, Map.of());
    try {
      NodeClient first = nodes.get(0).client();
      // A weak first version: few examples, one epoch.
      JsonNode weak = train(first, jobs, 30, "\"epochs\": 1, \"learning_rate\": 0.001");
      assertThat(weak.at("/result/promotion/promoted").asBoolean()).isTrue();

      assertRefused(
          setRollout(nodes.get(1).client(), "{\"mode\": \"sometimes\"}"), 400, "rollout 'mode'");
      assertRefused(setRollout(first, "{\"canary_percent\": 150}"), 400, "canary_percent");
      assertRefused(setRollout(first, "{\"cannary_percent\": 5}"), 400, "unknown rollout");
      HttpResponse<String> canary =
          setRollout(
              nodes.get(1).client(),
              "{\"mode\": \"canary\", \"canary_percent\": 50, \"trial_seconds\": 3,"
                  + " \"min_trial_requests\": 10, \"p99_tolerance\": 20}");
      assertThat(canary.statusCode()).as(canary.body()).isEqualTo(200);

      JsonNode strong = train(nodes.get(2).client(), jobs, 300, "\"epochs\": 6");
      JsonNode promotion = strong.at("/result/promotion");
      assertThat(promotion.get("promoted").asBoolean()).as(promotion.toString()).isFalse();
      assertThat(promotion.get("reason").asText()).contains("canary trial");
      Map<String, Integer> answeredBy = new TreeMap<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      JsonNode trial = null;
      int sent = 0;
      while (System.nanoTime() < deadline) {
        for (NodeProcess node : nodes) {
          String request = oip(jobs, 400 + sent++ % 200);
          answeredBy.merge(answer(node.client(), INFER, request), 1, Integer::sum);
        }
        trial = first.getJson("/v1/models/groups/rollout").at("/trials/0");
        if (!trial.get("state").asText().equals("running")) {
          break;
        }
      }
      assertThat(trial.get("state").asText()).as(trial.toString()).isEqualTo("promoted");
      assertThat(answeredBy)
          .as("during the trial both versions answered unlabelled requests")
          .containsKeys("1", "2");
      assertThat(trial.at("/candidate/requests").asLong()).isGreaterThanOrEqualTo(10);
      assertThat(trial.at("/stable/requests").asLong()).isGreaterThan(0);
      for (NodeProcess node : nodes) {
        awaitAnswer(node.client(), "2");
      }
      assertThat(first.get("/metrics").body())
          .contains(
              "tuneserve_rollout_requests_total{model=\"groups\",outcome=\"ok\",role=\"canary\",version=\"2\"}");

      // Back to the weak version at once, then a shadow trial that must agree with it.
      HttpResponse<String> rollback =
          first.post("/v1/models/groups/labels/stable", "{\"version\": 1}");
      assertThat(rollback.statusCode()).as(rollback.body()).isEqualTo(200);
      for (NodeProcess node : nodes) {
        awaitAnswer(node.client(), "1");
      }
      HttpResponse<String> shadow =
          setRollout(
              first,
              "{\"mode\": \"shadow\", \"trial_seconds\": 3, \"min_trial_requests\": 10,"
                  + " \"p99_tolerance\": 20, \"min_agreement\": 0.99}");
      assertThat(shadow.statusCode()).as(shadow.body()).isEqualTo(200);
      JsonNode third = train(first, jobs, 300, "\"epochs\": 6, \"seed\": 7");
      assertThat(third.at("/result/promotion/reason").asText()).contains("shadow trial");
      Map<String, Integer> shadowAnswers = new TreeMap<>();
      deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline) {
        for (NodeProcess node : nodes) {
          String request = oip(jobs, 400 + sent++ % 200);
          shadowAnswers.merge(answer(node.client(), INFER, request), 1, Integer::sum);
        }
        trial = first.getJson("/v1/models/groups/rollout").at("/trials/0");
        if (!trial.get("state").asText().equals("running")) {
          break;
        }
      }
      assertThat(trial.get("candidate_version").asText()).isEqualTo("3");
      assertThat(trial.get("state").asText()).as(trial.toString()).isEqualTo("kept");
      assertThat(trial.get("reason").asText()).contains("agreed with stable on");
      assertThat(trial.get("compared").asLong()).isGreaterThanOrEqualTo(10);
      assertThat(shadowAnswers.keySet()).as("a shadow never answers").containsOnly("1");
      assertThat(first.getJson("/v1/models/groups/labels").get("labels").toString())
          .isEqualTo("{\"candidate\":\"3\",\"stable\":\"1\"}");
      assertThat(nodes.get(2).client().get("/metrics").body())
          .contains("tuneserve_shadow_comparisons_total{model=\"groups\",result=\"disagree\"");
      Map<String, String> decided = new TreeMap<>();
      for (JsonNode version :
          nodes.get(1).client().getJson("/v2/registry/models/groups").get("versions")) {
        for (JsonNode decision : version.get("trials")) {
          decided.put(
              version.get("version").asText(),
              decision.get("mode").asText() + " " + decision.get("state").asText());
        }
      }
      assertThat(decided)
          .as("the registry shows each version's trial")
          .isEqualTo(Map.of("2", "canary promoted", "3", "shadow kept"));
    } finally {
      for (NodeProcess node : nodes) {
        node.close();
      }
    }
  }

  /** A job on the first {@code count} images, labelled by group; waits for it to succeed. */
  private static JsonNode train(NodeClient node, ImageJobs jobs, int count, String hyperparameters)
      throws Exception {
    String options =
        "\"strategy\": \"feature_extractor\", \"augmentation\": \"none\", \"hyperparameters\": {"
            + hyperparameters
            + "}";
    HttpResponse<String> submitted =
        node.post("/v1/jobs", jobs.job("groups", GROUPS, 0, count, options));
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    JsonNode done = node.awaitJob(JSON.readTree(submitted.body()).get("id").asText());
    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
    return done;
  }

  private static HttpResponse<String> setRollout(NodeClient node, String body) throws Exception {
    return node.send(
        HttpRequest.newBuilder(node.uri("/v1/models/groups/rollout"))
            .PUT(HttpRequest.BodyPublishers.ofString(body))
            .header("content-type", "application/json"));
  }

  private static String answer(NodeClient node, String path) throws Exception {
    return answer(node, path, TestData.OIP_BLANK_IMAGE);
  }

  /** An OIP request for image {@code index}. */
  private static String oip(ImageJobs jobs, int index) {
    return "{\"inputs\": [{\"name\": \"images\", \"shape\": [1, 28, 28, 1], \"datatype\": \"FP32\","
        + " \"data\": ["
        + jobs.image(index).replace("[", "").replace("]", "")
        + "]}]}";
  }

  private static String answer(NodeClient node, String path, String body) throws Exception {
    HttpResponse<String> reply = node.post(path, body);
    assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
    return JSON.readTree(reply.body()).get("model_version").asText();
  }

  private static void awaitAnswer(NodeClient node, String version) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String last = null;
    while (System.nanoTime() < deadline) {
      last = answer(node, INFER);
      if (last.equals(version)) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("node " + node.port() + " still answers " + last);
  }

  private static void assertRefused(HttpResponse<String> response, int status, String message)
      throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(JSON.readTree(response.body()).get("error").asText()).contains(message);
  }
}
