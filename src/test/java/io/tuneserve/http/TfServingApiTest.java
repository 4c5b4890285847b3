package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tuneserve.testing.TestData;
import io.tuneserve.testing.TestServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * TF Serving's REST API: on SavedModels exported by Python TensorFlow from TF Serving's own test
 * data ({@code ../shared/testdata/tfserving/}), dropped in without a model.yaml and checked against
 * the answers TF Serving's tests expect; and on the project's own models.
 */
class TfServingApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final boolean TF_SERVING_MODELS = TestData.hasShared("tfserving");
  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server =
        new TestServer()
            .withVersion("half_plus_two", 123, TestData.halfPlusTwo())
            .withVersion("half_plus_two_strict", 123, TestData.halfPlusTwo())
            .withFile("half_plus_two_strict", "model.yaml", "input_shape_check: strict\n")
            .withDemoModel();
    if (TF_SERVING_MODELS) {
      server
          .withVersion("tfs_half_plus_two", 123, TestData.tfServingHalfPlusTwo())
          .withVersion("tfs_half_plus_two_tf2", 123, TestData.tfServingHalfPlusTwoTf2())
          .withVersion("tfs_half_plus_three", 123, TestData.tfServingHalfPlusThree());
    }
    server.start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return JSON.readTree(response.body());
  }

  /** Skips the calling test, naming the folder, where TF Serving's models are absent. */
  private static void needTfServingModels() {
    TestData.shared("tfserving");
  }

  @Test
  void reportsAvailableVersion() throws Exception {
    HttpResponse<String> response = server.get("/v1/models/half_plus_two");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response))
        .isEqualTo(
            JSON.readTree(
                """
                {"model_version_status":[{"version":"123","state":"AVAILABLE",
                 "status":{"error_code":"OK","error_message":""}}]}
                """));
    assertThat(server.get("/v1/models/half_plus_two/versions/123").statusCode()).isEqualTo(200);
    assertThat(server.get("/v1/models/half_plus_two/versions/7").statusCode()).isEqualTo(404);
  }

  @Test
  void reportsModelThatFailedToLoadAndKeepsServingOthers() throws Exception {
    needTfServingModels();
    JsonNode status =
        json(server.get("/v1/models/tfs_half_plus_three")).at("/model_version_status/0");
    assertThat(status.get("state").asText()).isEqualTo("END");
    assertThat(status.at("/status/error_code").asText()).isEqualTo("UNKNOWN");
    assertThat(status.at("/status/error_message").asText()).contains("DT_STRING");
    HttpResponse<String> predict =
        server.post("/v1/models/tfs_half_plus_three:predict", "{\"instances\": [1.0]}");
    assertThat(predict.statusCode()).isEqualTo(503);
    assertThat(json(predict).get("error").asText()).contains("failed to load");
    assertThat(
            server
                .post("/v1/models/tfs_half_plus_two:predict", "{\"instances\": [[1.0]]}")
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void metadataMatchesTfServingForTf1Model() throws Exception {
    needTfServingModels();
    JsonNode expected = JSON.readTree(TestData.tfServingText("half_plus_two_model_metadata.json"));
    ((ObjectNode) expected.get("model_spec")).put("name", "tfs_half_plus_two");
    assertThat(json(server.get("/v1/models/tfs_half_plus_two/metadata"))).isEqualTo(expected);
  }

  @Test
  void metadataMatchesTfServingForTf2Model() throws Exception {
    needTfServingModels();
    JsonNode expected =
        JSON.readTree(
            TestData.tfServingText("saved_model_half_plus_two_tf2_2_versions_metadata.json"));
    JsonNode actual = json(server.get("/v1/models/tfs_half_plus_two_tf2/versions/123/metadata"));
    // TF Serving's file omits the empty "defaults" map of this one signature only.
    ((ObjectNode) actual.at("/metadata/signature_def/signature_def/__saved_model_init_op"))
        .remove("defaults");
    assertThat(actual.at("/metadata/signature_def/signature_def"))
        .isEqualTo(expected.at("/metadata/signature_def/signature_def"));
    assertThat(actual.at("/model_spec/version").asText()).isEqualTo("123");
  }

  /**
   * TF Serving's documented REST behaviour ({@code ../shared/testdata/tfserving/README.md}) on both
   * half_plus_two exports as they are, with no model.yaml: the same status and the same values.
   */
  @ParameterizedTest(name = "{0} {1} {2} -> {3}")
  @CsvSource(
      delimiter = '|',
      value = {
        "tfs_half_plus_two | :predict | {\"instances\": [[1.0, 2.0], [3.0, 4.0]]} | 200 | {\"predictions\": [[2.5, 3.0], [3.5, 4.0]]}",
        "tfs_half_plus_two | /versions/123:predict | {\"instances\": [1.0, 2.0]} | 200 | {\"predictions\": [2.5, 3.0]}",
        "tfs_half_plus_two | :predict | {\"signature_name\": \"serving_default\", \"instances\": [3.0, 4.0]} | 200 | {\"predictions\": [3.5, 4.0]}",
        "tfs_half_plus_two | :predict | {\"signature_name\": \"serving_default\", \"inputs\": [3.0, 4.0]} | 200 | {\"outputs\": [3.5, 4.0]}",
        "tfs_half_plus_two | :predict | {\"instances\": [1.0, 2.0, 5.0]} | 200 | {\"predictions\": [2.5, 3.0, 4.5]}",
        "tfs_half_plus_two | :predict | {\"instances\": [[1.0], [2.0], [5.0]]} | 200 | {\"predictions\": [[2.5], [3.0], [4.5]]}",
        "tfs_half_plus_two_tf2 | :predict | {\"instances\": [[1.0, 2.0], [3.0, 4.0]]} | 200 | {\"predictions\": [[2.5, 3.0], [3.5, 4.0]]}",
        "tfs_half_plus_two_tf2 | /versions/123:predict | {\"instances\": [1.0, 2.0]} | 200 | {\"predictions\": [2.5, 3.0]}",
        "tfs_half_plus_two_tf2 | :predict | {\"signature_name\": \"serving_default\", \"instances\": [3.0, 4.0]} | 200 | {\"predictions\": [3.5, 4.0]}",
        "tfs_half_plus_two_tf2 | :predict | {\"signature_name\": \"serving_default\", \"inputs\": [3.0, 4.0]} | 200 | {\"outputs\": [3.5, 4.0]}",
        "tfs_half_plus_two_tf2 | :predict | {\"instances\": [1.0, 2.0, 5.0]} | 200 | {\"predictions\": [2.5, 3.0, 4.5]}",
        "tfs_half_plus_two_tf2 | :predict | {\"instances\": [[1.0], [2.0], [5.0]]} | 200 | {\"predictions\": [[2.5], [3.0], [4.5]]}",
        "tfs_half_plus_two_tf2 | :predict | {\"inputs\": [5.0]} | 200 | {\"outputs\": [4.5]}",
      })
  void answersAsTfServingDoes(String model, String path, String body, int status, String expected)
      throws Exception {
    needTfServingModels();
    HttpResponse<String> response = server.post("/v1/models/" + model + path, body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    JsonAssertions.assertNumericallyEqual(json(response), JSON.readTree(expected));
  }

  /** TF Serving's {@code :classify} and {@code :regress} on both exports as they are. */
  @ParameterizedTest(name = "{0} {1} {2} -> {3}")
  @CsvSource(
      delimiter = '|',
      value = {
        "tfs_half_plus_two | :regress | {\"signature_name\": \"regress_x_to_y\", \"examples\": [{\"x\": 80.0}]} | 200 | {\"results\": [42]}",
        "tfs_half_plus_two | :classify | {\"signature_name\": \"classify_x_to_y\", \"examples\": [{\"x\": 20.0}]} | 200 | {\"results\": [[[\"\", 12]]]}",
        "tfs_half_plus_two_tf2 | :regress | {\"signature_name\": \"regress_x_to_y\", \"examples\": [{\"x\": 80.0}]} | 200 | {\"results\": [42]}",
        "tfs_half_plus_two_tf2 | :classify | {\"signature_name\": \"classify_x_to_y\", \"examples\": [{\"x\": 20.0}]} | 200 | {\"results\": [[[\"\", 12]]]}",
        "tfs_half_plus_two | :regress | {\"signature_name\": \"regress_x_to_y\", \"examples\": [{\"x\": 80.0}, {\"x\": [2.0]}, {\"x\": -4.0}]} | 200 | {\"results\": [42, 3, 0]}",
        "tfs_half_plus_two | :regress | {\"signature_name\": \"regress_x_to_y2\", \"examples\": [{\"x\": 80.0}]} | 200 | {\"results\": [43]}",
        "tfs_half_plus_two | :regress | {\"signature_name\": \"regress_x_to_y\", \"context\": {\"x\": 10.0}, \"examples\": [{}, {\"x\": 2.0}]} | 200 | {\"results\": [7, 3]}",
      })
  void classifiesAndRegressesAsTfServingDoes(
      String model, String path, String body, int status, String expected) throws Exception {
    answersAsTfServingDoes(model, path, body, status, expected);
  }

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        ":regress | {\"signature_name\": \"regress_x_to_y\"} | key 'examples' is expected and was not found",
        ":regress | {\"signature_name\": \"regress_x_to_y\", \"examples\": []} | 'examples' value is an empty array",
        ":regress | {\"signature_name\": \"regress_x_to_y\", \"examples\": {}} | to be an list/array",
        ":regress | {\"signature_name\": \"regress_x_to_y\", \"examples\": [1]} | Example must be JSON object",
        ":regress | {\"signature_name\": \"regress_x_to_y\", \"examples\": [{\"x\": [1.0, \"a\"]}]} | Unexpected element type in feature: x",
        ":regress | {\"signature_name\": \"regress_x_to_y\", \"examples\": [{\"x\": null}]} | unexpected JSON type",
        ":regress | {\"signature_name\": \"regress_x_to_y\", \"examples\": [{\"x\": 80}]} | ",
        ":regress | {\"signature_name\": \"regress_x_to_y\", \"examples\": [{\"y\": 1.0}]} | ",
        ":regress | {\"signature_name\": \"serving_default\", \"examples\": [{\"x\": 1.0}]} | does not take serialized tf.Examples",
        ":classify | {\"signature_name\": \"regress_x_to_y\", \"examples\": [{\"x\": 1.0}]} | Expected classification signature method_name",
        ":regress | {\"signature_name\": \"nope\", \"examples\": [{\"x\": 1.0}]} | nope",
        ":regress | {\"signature_name\": 7, \"examples\": [{\"x\": 1.0}]} | 'signature_name' key must be a string value.",
      })
  void refusesBadExamplesWithTheirReason(String path, String body, String message)
      throws Exception {
    needTfServingModels();
    HttpResponse<String> response = server.post("/v1/models/tfs_half_plus_two" + path, body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    assertThat(json(response).get("error").asText()).contains(message == null ? "" : message);
  }

  @Test
  void serializedExamplesWorkThroughPredictToo() throws Exception {
    needTfServingModels();
    byte[][] examples =
        io.tuneserve.tf.TfExamples.serialize(
            java.util.List.of(
                java.util.Map.of(
                    "x", new io.tuneserve.model.ExampleFeature.Floats(java.util.List.of(80f)))),
            java.util.Map.of());
    String b64 = java.util.Base64.getEncoder().encodeToString(examples[0]);
    for (String model : new String[] {"tfs_half_plus_two", "tfs_half_plus_two_tf2"}) {
      HttpResponse<String> response =
          server.post(
              "/v1/models/" + model + ":predict",
              "{\"signature_name\": \"regress_x_to_y\", \"instances\": [{\"b64\": \""
                  + b64
                  + "\"}]}");
      assertThat(response.statusCode()).as(model + " " + response.body()).isEqualTo(200);
      JsonAssertions.assertNumericallyEqual(
          json(response), JSON.readTree("{\"predictions\": [[42]]}"));
    }
  }

  /** TF Serving's documented error cases, on both exports as they are. */
  @ParameterizedTest(name = "{0} {1} {2} -> {3}")
  @CsvSource(
      delimiter = '|',
      value = {
        "POST | :predict | '' | 400 | JSON Parse error: The document is empty",
        "POST | :predict | instances = [1, 2] | 400 | JSON Parse error: Invalid value",
        "POST | :predict | {\"instances\": [\"x\", \"y\"]} | 400 | not of expected type: float",
        "POST | :predict | {\"signature_name\": 100} | 400 | 'signature_name' key must be a string value.",
        "GET | :predict | '' | 400 | Malformed request",
        "POST | /metadata | {} | 400 | Malformed request",
        "GET | /versions/abc | '' | 400 | Malformed request",
        "POST | /versions/9:predict | {\"instances\": [1.0]} | 404 | Servable not found",
      })
  void refusesAsTfServingDoes(String method, String path, String body, int status, String message)
      throws Exception {
    needTfServingModels();
    for (String model : new String[] {"tfs_half_plus_two", "tfs_half_plus_two_tf2"}) {
      HttpResponse<String> response =
          server.send(
              java.net.http.HttpRequest.newBuilder(server.uri("/v1/models/" + model + path))
                  .method(method, HttpRequest.BodyPublishers.ofString(body)));
      assertThat(response.statusCode()).as(model + " " + response.body()).isEqualTo(status);
      assertThat(json(response).get("error").asText()).contains(message);
    }
    assertThat(server.post("/v1/models/nope:predict", "{\"instances\": [1.0]}").statusCode())
        .isEqualTo(404);
  }

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "half_plus_two:predict | {\"instances\": [[1.0], [2.0], [5.0]]} | {\"predictions\": [[2.5], [3.0], [4.5]]}",
        "half_plus_two/versions/123:predict | {\"instances\": [[1.0], [2.0]]} | {\"predictions\": [[2.5], [3.0]]}",
        "half_plus_two:predict | {\"signature_name\": \"serving_default\", \"instances\": [[3.0], [4.0]]} | {\"predictions\": [[3.5], [4.0]]}",
        "half_plus_two:predict | {\"signature_name\": \"serving_default\", \"inputs\": [[3.0], [4.0]]} | {\"outputs\": [[3.5], [4.0]]}",
        "half_plus_two:predict | {\"inputs\": {\"x\": [[1.0]]}} | {\"outputs\": [[2.5]]}",
        "half_plus_two:predict | {\"instances\": [{\"x\": [1.0]}, {\"x\": [5.0]}]} | {\"predictions\": [[2.5], [4.5]]}",
        "half_plus_two/versions/123:predict | {\"instances\": [1.0, 2.0]} | {\"predictions\": [2.5, 3.0]}",
        "half_plus_two:predict | {\"instances\": [[1.0, 2.0], [3.0, 4.0]]} | {\"predictions\": [[2.5, 3.0], [3.5, 4.0]]}",
      })
  void predictsInRowsAndColumns(String path, String body, String expected) throws Exception {
    HttpResponse<String> response = server.post("/v1/models/" + path, body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(json(response)).isEqualTo(JSON.readTree(expected));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "'' | 400 | JSON Parse error: The document is empty",
        "[1, 2 | 400 | JSON Parse error",
        "{\"instances\": [\"x\", \"y\"]} | 400 | not of expected type: float",
        "{\"signature_name\": 100, \"instances\": [[1.0]]} | 400 | 'signature_name' key must be a string value.",
        "{\"signature_name\": \"nope\", \"instances\": [[1.0]]} | 400 | Serving signature key \"nope\" not found",
        "{\"instances\": [[1.0]], \"inputs\": [[1.0]]} | 400 | mix",
        "{\"foo\": 1} | 400 | Missing 'instances' or 'inputs'",
        "{\"instances\": [[1.0], [2.0, 3.0]]} | 400 | rectangular",
        "{\"instances\": []} | 400 | non-empty",
        "{\"instances\": [{\"y\": [1.0]}]} | 400 | missing input 'x'",
        "{\"inputs\": {\"x\": [[1.0]], \"z\": [[1.0]]}} | 400 | unknown input 'z'",
        "{\"instances\": [[1e999]]} | 400 | finite",
      })
  void rejectsBadRequestsWithTheirReason(String body, int status, String message) throws Exception {
    HttpResponse<String> response = server.post("/v1/models/half_plus_two:predict", body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(json(response).get("error").asText()).contains(message);
  }

  @Test
  void strictShapeCheckRefusesWhatTheGraphDoesNotDeclare() throws Exception {
    HttpResponse<String> strict =
        server.post("/v1/models/half_plus_two_strict:predict", "{\"instances\": [[1.0, 2.0]]}");
    assertThat(strict.statusCode()).isEqualTo(400);
    assertThat(json(strict).get("error").asText())
        .isEqualTo("input 'x' has shape [1, 2] but the model expects [-1, 1] (-1 = any size)");
    HttpResponse<String> convnet =
        server.post("/v1/models/fashion-convnet:predict", "{\"instances\": [1.0, 2.0]}");
    assertThat(convnet.statusCode()).isEqualTo(400);
    assertThat(server.get("/v2/health/live").statusCode()).isEqualTo(200);
  }

  @Test
  void unknownModelOrVersionIsNotFound() throws Exception {
    assertThat(server.post("/v1/models/nope:predict", "{\"instances\": [1.0]}").statusCode())
        .isEqualTo(404);
    assertThat(
            server
                .post("/v1/models/half_plus_two/versions/9:predict", "{\"instances\": [1.0]}")
                .statusCode())
        .isEqualTo(404);
    assertThat(server.get("/v1/models/nope").statusCode()).isEqualTo(404);
    assertThat(server.get("/v1/models/nope/metadata").statusCode()).isEqualTo(404);
  }

  @Test
  void malformedRequestsAreBadRequests() throws Exception {
    HttpResponse<String> get = server.get("/v1/models/half_plus_two:predict");
    assertThat(get.statusCode()).isEqualTo(400);
    assertThat(json(get).get("error").asText()).startsWith("Malformed request");
    HttpResponse<String> postMetadata = server.post("/v1/models/half_plus_two/metadata", "{}");
    assertThat(postMetadata.statusCode()).isEqualTo(400);
    HttpResponse<String> badVersion = server.get("/v1/models/half_plus_two/versions/abc");
    assertThat(badVersion.statusCode()).isEqualTo(400);
    assertThat(json(badVersion).get("error").asText()).startsWith("Malformed request");
  }

  @Test
  void formEncodedContentTypeStillReadsJson() throws Exception {
    HttpResponse<String> response =
        server.send(
            HttpRequest.newBuilder(server.uri("/v1/models/half_plus_two:predict"))
                .header("content-type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("{\"instances\": [[1.0]]}")));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response)).isEqualTo(JSON.readTree("{\"predictions\": [[2.5]]}"));
  }

  @Test
  void oversizedBodyIsRejected() throws Exception {
    try (TestServer small =
        new TestServer()
            .withVersion("half_plus_two", 1, TestData.halfPlusTwo())
            .set("http.max_body_bytes", 64)
            .start()) {
      HttpResponse<String> response =
          small.post(
              "/v1/models/half_plus_two:predict",
              "{\"instances\": [" + "[1.0],".repeat(40) + "[1.0]]}");
      assertThat(response.statusCode()).isEqualTo(413);
      assertThat(json(response).get("error").asText()).contains("limit of 64 bytes");
    }
  }

  @Test
  void classifiesImagesSentAsBase64Instances() throws Exception {
    String png = java.util.Base64.getEncoder().encodeToString(TestData.bytes("images/trouser.png"));
    HttpResponse<String> response =
        server.post(
            "/v1/models/fashion-convnet:predict", "{\"instances\": [{\"b64\": \"" + png + "\"}]}");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode probabilities = json(response).at("/predictions/0/probabilities");
    int best = 0;
    for (int i = 1; i < probabilities.size(); i++) {
      if (probabilities.get(i).asDouble() > probabilities.get(best).asDouble()) {
        best = i;
      }
    }
    assertThat(best).as("class index of 'Trouser'").isEqualTo(1);
  }
}
