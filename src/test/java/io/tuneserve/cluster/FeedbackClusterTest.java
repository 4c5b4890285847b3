package io.tuneserve.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.testing.FashionPngs;
import io.tuneserve.testing.NodeClient;
import io.tuneserve.testing.NodeProcess;
import io.tuneserve.testing.TestCluster;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Feedback in a cluster of three JVMs over one datasets directory: a model that knows two kinds of
 * shoe meets a third; corrections sent to all three nodes at once (by image, and by the id of a
 * prediction another node made) start one continual job, whose candidate passes the gate and
 * answers as stable on every node, naming the new class.
 */
class FeedbackClusterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<Integer, String> KNOWN = Map.of(5, "sandal", 7, "sneaker");
  private static final int ANKLE_BOOT = 9;

  @Test
  void correctionsOnEveryNodeTeachTheModelANewClassOnce() throws Exception {
    FashionPngs pngs = new FashionPngs();
    String datasets = Files.createTempDirectory("tuneserve-shared-datasets").toString();
    List<NodeProcess> nodes =
        TestCluster.of(3).startNodes(1, Map.of("datasets.directory", datasets));
    try {
      NodeClient first = nodes.get(0).client();
      StringBuilder lines = new StringBuilder();
      for (int i : indices(pngs, KNOWN.keySet(), 0, 80)) {
        lines.append(pngs.jsonLine(i, KNOWN.get(pngs.label(i))));
      }
      HttpResponse<String> data =
          first.send(
              HttpRequest.newBuilder(first.uri("/v1/datasets/shoes-data"))
                  .PUT(HttpRequest.BodyPublishers.ofString(lines.toString()))
                  .header("content-type", "application/x-ndjson"));
      assertThat(data.statusCode()).as(data.body()).isEqualTo(201);
      HttpResponse<String> submitted =
          first.post(
              "/v1/jobs",
              "{\"base_model\": \"fashion-convnet\", \"target_model\": \"shoes\", \"dataset\":"
                  + " \"shoes-data\", \"strategy\": \"feature_extractor\", \"augmentation\":"
                  + " \"none\", \"hyperparameters\": {\"epochs\": 6}}");
      assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
      JsonNode v1 = first.awaitJob(JSON.readTree(submitted.body()).get("id").asText());
      assertThat(v1.at("/result/promotion/promoted").asBoolean()).as(v1.toString()).isTrue();

      // No base_model: shoes is a head-only version, so its continual jobs start from its base.
      HttpResponse<String> continual =
          put(
              nodes.get(1).client(),
              "/v1/models/shoes/continual",
              "{\"dataset\": \"shoes-data\", \"labels\": [\"ankle-boot\"], \"min_new_examples\":"
                  + " 30, \"job\": {\"strategy\": \"feature_extractor\", \"augmentation\":"
                  + " \"none\", \"hyperparameters\": {\"epochs\": 6}}}");
      assertThat(continual.statusCode()).as(continual.body()).isEqualTo(200);
      HttpResponse<String> unknown =
          nodes.get(2).client().post("/v1/models/shoes:feedback", feedback("hat", pngs.png(0)));
      assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(400);

      List<Integer> boots = indices(pngs, Set.of(ANKLE_BOOT), 1000, 30);
      ExecutorService senders = Executors.newFixedThreadPool(3);
      List<Future<JsonNode>> replies = new ArrayList<>();
      for (int n = 0; n < 30; n++) {
        int image = boots.get(n);
        NodeClient node = nodes.get(n % 3).client();
        NodeClient predictor = nodes.get((n + 1) % 3).client();
        boolean byId = n % 2 == 0;
        replies.add(
            senders.submit(
                () -> {
                  String body =
                      byId
                          ? "{\"label\": \"ankle-boot\", \"prediction_id\": \""
                              + classify(predictor, pngs.png(image)).get("id").asText()
                              + "\"}"
                          : feedback("ankle-boot", pngs.png(image));
                  HttpResponse<String> reply = node.post("/v1/models/shoes:feedback", body);
                  assertThat(reply.statusCode()).as(reply.body()).isEqualTo(201);
                  return JSON.readTree(reply.body());
                }));
      }
      Set<String> jobs = new TreeSet<>();
      for (Future<JsonNode> reply : replies) {
        JsonNode body = reply.get();
        assertThat(body.get("added").asBoolean()).as(body.toString()).isTrue();
        if (body.has("job")) {
          jobs.add(body.get("job").asText());
        }
      }
      senders.shutdown();
      assertThat(jobs).as("one continual job for 30 corrections on 3 nodes").hasSize(1);
      JsonNode state = nodes.get(2).client().getJson("/v1/models/shoes/continual");
      assertThat(state.get("feedback_examples").asLong()).as(state.toString()).isEqualTo(30);
      assertThat(state.get("last_job").asText()).isEqualTo(jobs.iterator().next());

      JsonNode done = first.awaitJob(jobs.iterator().next());
      assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
      assertThat(done.at("/result/promotion/promoted").asBoolean())
          .as(done.at("/result/promotion").toString())
          .isTrue();
      JsonNode lineage = first.getJson("/v2/models/shoes/versions/2").at("/parameters/lineage");
      assertThat(lineage.toString())
          .contains("\"base_model\":\"fashion-convnet\"")
          .contains("shoes.feedback");

      List<Integer> unseen = indices(pngs, Set.of(ANKLE_BOOT), 3000, 12);
      for (NodeProcess node : nodes) {
        awaitVersion(node.client(), pngs.png(unseen.get(0)), "2");
        int named = 0;
        JsonNode answer = null;
        for (int image : unseen) {
          answer = classify(node.client(), pngs.png(image));
          assertThat(answer.get("model_version").asText()).isEqualTo("2");
          named += answer.at("/predictions/0/label").asText().equals("ankle-boot") ? 1 : 0;
        }
        assertThat(named)
            .as(
                "unseen ankle boots named as such on node "
                    + node.client().port()
                    + "; the last answer: "
                    + answer
                    + "; the job: "
                    + done.get("result"))
            .isGreaterThanOrEqualTo(8);
      }
    } finally {
      for (NodeProcess node : nodes) {
        node.close();
      }
    }
  }

  /**
   * The first {@code count} test images from {@code from} whose class is one of {@code classes}.
   */
  private static List<Integer> indices(
      FashionPngs pngs, Set<Integer> classes, int from, int count) {
    List<Integer> found = new ArrayList<>();
    for (int i = from; found.size() < count; i++) {
      if (classes.contains(pngs.label(i))) {
        found.add(i);
      }
    }
    return found;
  }

  private static String feedback(String label, byte[] png) {
    return "{\"label\": \""
        + label
        + "\", \"b64\": \""
        + Base64.getEncoder().encodeToString(png)
        + "\"}";
  }

  private static JsonNode classify(NodeClient node, byte[] png) throws Exception {
    HttpResponse<byte[]> reply =
        node.post("/v1/models/shoes:classify-image", png, Map.of("content-type", "image/png"));
    assertThat(reply.statusCode()).as(new String(reply.body())).isEqualTo(200);
    return JSON.readTree(reply.body());
  }

  private static void awaitVersion(NodeClient node, byte[] png, String version) throws Exception {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
    String last = null;
    while (System.nanoTime() < deadline) {
      last = classify(node, png).get("model_version").asText();
      if (last.equals(version)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("node " + node.port() + " still answers with version " + last);
  }

  private static HttpResponse<String> put(NodeClient node, String path, String body)
      throws Exception {
    return node.send(
        HttpRequest.newBuilder(node.uri(path))
            .PUT(HttpRequest.BodyPublishers.ofString(body))
            .header("content-type", "application/json"));
  }
}
