package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

  private static void assertRefused(HttpResponse<String> response, int status, String message)
      throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(JSON.readTree(response.body()).get("error").asText()).contains(message);
  }
}
