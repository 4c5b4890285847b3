package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.testing.FashionPngs;
import io.tuneserve.testing.TestServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Feedback: corrections sent by image or by the id of a recent prediction land in the model's
 * feedback dataset, deduplicated, and enough of them start one continual job, however many arrive
 * at once.
 */
class FeedbackTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] GROUPS = {
    "top", "other", "top", "other", "top", "footwear", "top", "footwear", "other", "footwear"
  };

  private static String jsonLines(FashionPngs pngs, int from, int count) {
    StringBuilder lines = new StringBuilder();
    for (int i = from; i < from + count; i++) {
      lines.append(pngs.jsonLine(i, GROUPS[pngs.label(i)]));
    }
    return lines.toString();
  }

  private static String feedback(String label, byte[] png) {
    return "{\"label\": \""
        + label
        + "\", \"b64\": \""
        + Base64.getEncoder().encodeToString(png)
        + "\"}";
  }

  private static HttpResponse<String> put(TestServer server, String path, String body, String type)
      throws Exception {
    return server.send(
        HttpRequest.newBuilder(server.uri(path))
            .PUT(HttpRequest.BodyPublishers.ofString(body))
            .header("content-type", type));
  }

  @Test
  void correctionsFillTheFeedbackDatasetAndStartOneContinualJob() throws Exception {
    FashionPngs pngs = new FashionPngs();
    try (TestServer server = new TestServer().withDemoModel().start()) {
      HttpResponse<String> data =
          put(server, "/v1/datasets/groups-data", jsonLines(pngs, 0, 90), "application/x-ndjson");
      assertThat(data.statusCode()).as(data.body()).isEqualTo(201);
      HttpResponse<String> submitted =
          server.post(
              "/v1/jobs",
              "{\"base_model\": \"fashion-convnet\", \"target_model\": \"groups\", \"dataset\":"
                  + " \"groups-data\", \"strategy\": \"feature_extractor\", \"augmentation\":"
                  + " \"none\", \"hyperparameters\": {\"epochs\": 2}}");
      assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
      JsonNode first = server.client().awaitJob(JSON.readTree(submitted.body()).get("id").asText());
      assertThat(first.get("state").asText()).as(first.toString()).isEqualTo("SUCCEEDED");

      String path = "/v1/models/groups:feedback";
      assertRefused(server.post(path, feedback("hat", pngs.png(1))), 400, "unknown label 'hat'");
      assertRefused(server.post(path, "{\"label\": \"top\", \"b64\": \"aGVsbG8=\"}"), 400, "");
      assertRefused(server.post(path, "{\"label\": \"top\"}"), 400, "one of the two");
      assertRefused(
          server.post(path, "{\"label\": \"top\", \"prediction_id\": \"nope\"}"),
          404,
          "no recent prediction");
      assertRefused(
          server.post("/v1/models/nothing:feedback", feedback("top", pngs.png(1))), 404, "");
      assertRefused(
          put(
              server,
              "/v1/models/groups/continual",
              "{\"min_new_examples\": 0}",
              "application/json"),
          400,
          "min_new_examples");

      HttpResponse<String> continual =
          put(
              server,
              "/v1/models/groups/continual",
              "{\"dataset\": \"groups-data\", \"min_new_examples\": 6, \"job\": {\"base_model\": \"fashion-convnet\","
                  + " \"strategy\":"
                  + " \"feature_extractor\", \"augmentation\": \"none\", \"hyperparameters\":"
                  + " {\"epochs\": 2}}}",
              "application/json");
      assertThat(continual.statusCode()).as(continual.body()).isEqualTo(200);

      // A prediction's id names its image.
      HttpResponse<byte[]> classified =
          server.post(
              "/v1/models/groups:classify-image",
              pngs.png(200),
              Map.of("content-type", "image/png"));
      assertThat(classified.statusCode()).isEqualTo(200);
      String id = JSON.readTree(classified.body()).get("id").asText();
      HttpResponse<String> byId =
          server.post(
              path,
              "{\"label\": \""
                  + GROUPS[pngs.label(200)]
                  + "\", \"prediction_id\": \""
                  + id
                  + "\"}");
      assertThat(byId.statusCode()).as(byId.body()).isEqualTo(201);
      assertThat(JSON.readTree(byId.body()).get("added").asBoolean()).isTrue();
      HttpResponse<String> again =
          server.post(path, feedback(GROUPS[pngs.label(200)], pngs.png(200)));
      assertThat(JSON.readTree(again.body()).get("added").asBoolean())
          .as("the same image again is not added")
          .isFalse();

      // A flood: many corrections at once start exactly one job.
      ExecutorService senders = Executors.newFixedThreadPool(8);
      List<Future<HttpResponse<String>>> replies = new ArrayList<>();
      for (int i = 300; i < 324; i++) {
        int index = i;
        replies.add(
            senders.submit(
                () -> server.post(path, feedback(GROUPS[pngs.label(index)], pngs.png(index)))));
      }
      Set<String> jobs = new HashSet<>();
      for (Future<HttpResponse<String>> reply : replies) {
        HttpResponse<String> response = reply.get();
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        JsonNode body = JSON.readTree(response.body());
        if (body.has("job")) {
          jobs.add(body.get("job").asText());
        }
      }
      senders.shutdown();
      assertThat(jobs).as("one continual job, not one per correction").hasSize(1);
      JsonNode done = server.client().awaitJob(jobs.iterator().next());
      assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
      assertThat(done.at("/result/label").asText()).isEqualTo("candidate");
      assertThat(done.at("/result/promotion/reason").asText()).isNotEmpty();

      JsonNode dataset = JSON.readTree(server.get("/v1/datasets/groups.feedback").body());
      assertThat(dataset.toString()).as("1 by id and 24 by image").contains("25");
      JsonNode lineage =
          JSON.readTree(server.get("/v2/models/groups/versions/2").body())
              .at("/parameters/lineage");
      assertThat(lineage.toString()).contains("groups-data").contains("groups.feedback");

      // On a schedule, one new correction is enough once the period has passed.
      HttpResponse<String> scheduled =
          put(
              server,
              "/v1/models/groups/continual",
              "{\"dataset\": \"groups-data\", \"min_new_examples\": 1000, \"every_seconds\": 1,"
                  + " \"job\": {\"base_model\": \"fashion-convnet\", \"strategy\":"
                  + " \"feature_extractor\", \"augmentation\": \"none\", \"hyperparameters\":"
                  + " {\"epochs\": 1}}}",
              "application/json");
      assertThat(scheduled.statusCode()).as(scheduled.body()).isEqualTo(200);
      HttpResponse<String> one =
          server.post(path, feedback(GROUPS[pngs.label(400)], pngs.png(400)));
      assertThat(JSON.readTree(one.body()).has("job")).as(one.body()).isFalse();
      String previous = jobs.iterator().next();
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
      String next = previous;
      while (next.equals(previous) && System.nanoTime() < deadline) {
        Thread.sleep(200);
        next =
            JSON.readTree(server.get("/v1/models/groups/continual").body())
                .path("last_job")
                .asText();
      }
      assertThat(next).as("the schedule started a job").isNotEqualTo(previous);
      JsonNode onSchedule = server.client().awaitJob(next);
      assertThat(onSchedule.get("state").asText()).as(onSchedule.toString()).isEqualTo("SUCCEEDED");
    }
  }

  private static void assertRefused(HttpResponse<String> response, int status, String message)
      throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(JSON.readTree(response.body()).get("error").asText()).contains(message);
  }
}
