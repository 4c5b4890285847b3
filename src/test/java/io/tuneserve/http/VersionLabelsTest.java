package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.testing.FashionPngs;
import io.tuneserve.testing.ImageJobs;
import io.tuneserve.testing.TestData;
import io.tuneserve.testing.TestServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Collections;
import org.junit.jupiter.api.Test;

/**
 * Version labels over real HTTP: a label names a version wherever a version can be named, a {@code
 * stable} label decides what unlabelled requests get (and keeps its version loaded whatever the
 * version policy), and a labelled version cannot be deleted.
 */
class VersionLabelsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ZEROS = TestData.OIP_BLANK_IMAGE;

  private static HttpResponse<String> put(TestServer server, String path, String body)
      throws Exception {
    return server.send(
        HttpRequest.newBuilder(server.uri(path))
            .PUT(HttpRequest.BodyPublishers.ofString(body))
            .header("content-type", "application/json"));
  }

  private static HttpResponse<String> delete(TestServer server, String path) throws Exception {
    return server.send(HttpRequest.newBuilder(server.uri(path)).DELETE());
  }

  /**
   * The version that answers OIP requests at {@code path} once it is {@code expected}; every reply
   * on the way must be a 200: moving a label never leaves requests without a version.
   */
  private static String answering(TestServer server, String path, String expected)
      throws Exception {
    long deadline = System.nanoTime() + 30_000_000_000L;
    String version = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> reply = server.post(path, ZEROS);
      assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
      version = JSON.readTree(reply.body()).get("model_version").asText();
      if (version.equals(expected)) {
        return version;
      }
      Thread.sleep(5);
    }
    return version;
  }

  @Test
  void labelsNameVersionsAndStableAnswersUnlabelledRequests() throws Exception {
    try (TestServer server =
        new TestServer()
            .withDemoModel()
            .withVersion("fashion-convnet", 2, TestData.fashionConvnet())
            .start()) {
      String infer = "/v2/models/fashion-convnet/infer";
      assertThat(answering(server, infer, "2")).as("the newest, with no labels").isEqualTo("2");

      HttpResponse<String> labelled =
          put(server, "/v1/models/fashion-convnet/labels/stable", "{\"version\": 1}");
      assertThat(labelled.statusCode()).as(labelled.body()).isEqualTo(200);
      assertThat(JSON.readTree(labelled.body()).get("labels").toString())
          .isEqualTo("{\"stable\":\"1\"}");
      assertThat(answering(server, infer, "1"))
          .as("stable is loaded although the policy serves only the newest, and answers")
          .isEqualTo("1");
      assertThat(
              put(server, "/v1/models/fashion-convnet/labels/canary", "{\"version\": \"2\"}")
                  .statusCode())
          .isEqualTo(200);
      assertThat(answering(server, "/v2/models/fashion-convnet/labels/canary/infer", "2"))
          .isEqualTo("2");
      assertThat(answering(server, "/v2/models/fashion-convnet/labels/stable/infer", "1"))
          .isEqualTo("1");
      String row = "[" + String.join(",", Collections.nCopies(28, "[0]")) + "]";
      String image = "[" + String.join(",", Collections.nCopies(28, row)) + "]";
      HttpResponse<String> predicted =
          server.post(
              "/v1/models/fashion-convnet/labels/canary:predict",
              "{\"instances\": [" + image + "]}");
      assertThat(predicted.statusCode()).as(predicted.body()).isEqualTo(200);

      io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
      try (io.tuneserve.client.InferenceSocketClient socket =
          io.tuneserve.client.InferenceSocketClient.connectToLabel(
                  vertx, "127.0.0.1", server.port(), "fashion-convnet", "canary")
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, java.util.concurrent.TimeUnit.SECONDS)) {
        String request = "{\"id\": \"a\", " + ZEROS.substring(1);
        assertThat(answeredBy(socket, request)).isEqualTo("2");
        assertThat(
                put(server, "/v1/models/fashion-convnet/labels/canary", "{\"version\": 1}")
                    .statusCode())
            .isEqualTo(200);
        assertThat(answeredBy(socket, request))
            .as("an open socket follows its label")
            .isEqualTo("1");
        assertThat(
                put(server, "/v1/models/fashion-convnet/labels/canary", "{\"version\": 2}")
                    .statusCode())
            .isEqualTo(200);
      } finally {
        vertx
            .close()
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, java.util.concurrent.TimeUnit.SECONDS);
      }

      JsonNode status = JSON.readTree(server.get("/v1/models/fashion-convnet").body());
      assertThat(status.get("version_labels").toString())
          .isEqualTo("{\"canary\":\"2\",\"stable\":\"1\"}");
      JsonNode stableStatus =
          JSON.readTree(server.get("/v1/models/fashion-convnet/labels/stable").body());
      assertThat(stableStatus.at("/model_version_status/0/version").asText()).isEqualTo("1");
      assertThat(server.get("/v1/models/fashion-convnet/labels").body())
          .contains("\"stable\":\"1\"");

      assertRefused(
          server.post("/v2/models/fashion-convnet/labels/nope/infer", ZEROS),
          404,
          "Label(fashion-convnet, nope)");
      assertRefused(
          put(server, "/v1/models/fashion-convnet/labels/bad!", "{\"version\": 1}"),
          400,
          "version label 'bad!'");
      assertRefused(
          put(server, "/v1/models/fashion-convnet/labels/stable", "{\"version\": 9}"),
          404,
          "no registered version 9");
      assertRefused(
          put(server, "/v1/models/fashion-convnet/labels/stable", "{\"version\": \"x\"}"),
          400,
          "'version' must be a positive integer");
      assertRefused(
          delete(server, "/v2/registry/models/fashion-convnet/versions/1"),
          409,
          "is labelled [stable]");
      assertRefused(delete(server, "/v1/models/fashion-convnet/labels/beta"), 404, "no label beta");

      assertThat(delete(server, "/v1/models/fashion-convnet/labels/stable").statusCode())
          .isEqualTo(200);
      assertThat(answering(server, infer, "2"))
          .as("without a stable label, the newest again")
          .isEqualTo("2");
    }
  }

  private static final String[] GROUPS = {
    "top", "other", "top", "other", "top", "footwear", "top", "footwear", "other", "footwear"
  };

  private static JsonNode train(TestServer server, ImageJobs jobs, int from, String publishAs)
      throws Exception {
    String options =
        "\"strategy\": \"feature_extractor\", \"hyperparameters\": {\"epochs\": 3}"
            + (publishAs == null ? "" : ", \"publish_as\": \"" + publishAs + "\"");
    HttpResponse<String> submitted =
        server.post("/v1/jobs", jobs.job("groups", GROUPS, from, 60, options));
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    JsonNode done = server.client().awaitJob(JSON.readTree(submitted.body()).get("id").asText());
    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
    return done;
  }

  private static String labelsOf(TestServer server) throws Exception {
    return JSON.readTree(server.get("/v1/models/groups/labels").body()).get("labels").toString();
  }

  /** A JSON-lines dataset of the PNGs {@code from .. from + count - 1}, labelled by group. */
  private static String jsonLines(FashionPngs pngs, int from, int count) {
    StringBuilder lines = new StringBuilder();
    for (int i = from; i < from + count; i++) {
      lines
          .append("{\"label\": \"")
          .append(GROUPS[pngs.label(i)])
          .append("\", \"b64\": \"")
          .append(java.util.Base64.getEncoder().encodeToString(pngs.png(i)))
          .append("\"}\n");
    }
    return lines.toString();
  }

  @Test
  void aCandidateWorseThanStableOnTheSameHeldOutDataStaysACandidate() throws Exception {
    ImageJobs jobs = new ImageJobs();
    FashionPngs pngs = new FashionPngs();
    try (TestServer server = new TestServer().withDemoModel().start()) {
      JsonNode first = train(server, jobs, 0, "stable");
      assertThat(first.at("/result/label").asText()).isEqualTo("stable");
      assertThat(first.at("/result/promotion").isMissingNode()).isTrue();
      assertThat(labelsOf(server)).as("no labels: the newest serves").isEqualTo("{}");

      HttpResponse<String> check =
          server.send(
              HttpRequest.newBuilder(server.uri("/v1/datasets/groups-check"))
                  .PUT(HttpRequest.BodyPublishers.ofString(jsonLines(pngs, 300, 60)))
                  .header("content-type", "application/x-ndjson"));
      assertThat(check.statusCode()).as(check.body()).isEqualTo(201);
      // Labels shuffled: a candidate that has learnt nothing, judged on correctly labelled data.
      StringBuilder instances = new StringBuilder();
      StringBuilder labels = new StringBuilder();
      java.util.Random shuffle = new java.util.Random(5);
      String[] names = {"footwear", "other", "top"};
      for (int i = 100; i < 190; i++) {
        instances.append(i == 100 ? "" : ",").append(jobs.image(i));
        labels
            .append(i == 100 ? "" : ",")
            .append('"')
            .append(names[shuffle.nextInt(3)])
            .append('"');
      }
      String body =
          ImageJobs.body(
              "fashion-convnet",
              "groups",
              "\"strategy\": \"feature_extractor\", \"hyperparameters\": {\"epochs\": 3},"
                  + " \"augmentation\": \"none\", \"validation_dataset\": \"groups-check\","
                  + " \"publish_as\": \"candidate\"",
              instances,
              labels);
      HttpResponse<String> submitted = server.post("/v1/jobs", body);
      assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
      JsonNode candidate =
          server.client().awaitJob(JSON.readTree(submitted.body()).get("id").asText());
      assertThat(candidate.get("state").asText()).as(candidate.toString()).isEqualTo("SUCCEEDED");
      JsonNode promotion = candidate.at("/result/promotion");
      assertThat(promotion.get("promoted").asBoolean()).as(promotion.toString()).isFalse();
      assertThat(promotion.get("reason").asText()).contains("kept as a candidate");
      assertThat(promotion.get("held_out_examples").asInt()).isEqualTo(60);
      assertThat(promotion.get("stable_accuracy").asDouble())
          .isGreaterThan(promotion.get("candidate_accuracy").asDouble());
      assertThat(labelsOf(server))
          .as("the version clients had became stable before the candidate appeared")
          .isEqualTo("{\"candidate\":\"2\",\"stable\":\"1\"}");
      JsonNode lineage =
          JSON.readTree(server.get("/v2/models/groups/versions/2").body())
              .at("/parameters/lineage");
      assertThat(lineage.get("published_as").asText()).isEqualTo("candidate");
      assertThat(lineage.at("/promotion/promoted").asBoolean()).isFalse();
      assertThat(answering(server, "/v2/models/groups/infer", "1"))
          .as("unlabelled requests still get version 1")
          .isEqualTo("1");
      String predict = "{\"instances\": [" + jobs.image(7) + "]}";
      assertThat(server.post("/v1/models/groups/labels/candidate:predict", predict).statusCode())
          .isEqualTo(200);

      train(server, jobs, 200, "stable");
      assertThat(labelsOf(server))
          .as("a job published as stable moves the stable label")
          .isEqualTo("{\"candidate\":\"2\",\"stable\":\"3\"}");
      HttpResponse<String> rollback =
          server.post("/v1/models/groups/labels/stable", "{\"version\": 1}");
      assertThat(rollback.statusCode()).as(rollback.body()).isEqualTo(200);
      assertThat(answering(server, "/v2/models/groups/infer", "1"))
          .as("rolled back at once")
          .isEqualTo("1");
      assertRefused(
          server.post("/v1/jobs", jobs.job("groups", GROUPS, 0, 10, "\"publish_as\": \"not ok\"")),
          400,
          "version label 'not ok'");
    }
  }

  @Test
  void byDefaultAJobPublishesACandidateAndTheFirstOfANewModelIsPromoted() throws Exception {
    ImageJobs jobs = new ImageJobs();
    try (TestServer server = new TestServer().withDemoModel().start()) {
      JsonNode first = train(server, jobs, 0, null);
      assertThat(first.at("/result/label").asText()).isEqualTo("candidate");
      assertThat(first.at("/result/promotion/promoted").asBoolean()).isTrue();
      assertThat(first.at("/result/promotion/reason").asText()).contains("no stable version");
      assertThat(labelsOf(server)).isEqualTo("{\"candidate\":\"1\",\"stable\":\"1\"}");
    }
  }

  /** The version that answers one request sent over the socket. */
  private static String answeredBy(io.tuneserve.client.InferenceSocketClient socket, String request)
      throws Exception {
    return socket
        .infer(request)
        .get(10, java.util.concurrent.TimeUnit.SECONDS)
        .header()
        .get("model_version")
        .asText();
  }

  private static void assertRefused(HttpResponse<String> response, int status, String message)
      throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(JSON.readTree(response.body()).get("error").asText()).contains(message);
  }
}
