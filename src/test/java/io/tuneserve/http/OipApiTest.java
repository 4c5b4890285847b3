package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.testing.TestData;
import io.tuneserve.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Open Inference Protocol v2 REST API, JSON and binary, over real HTTP. */
class OipApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server =
        new TestServer()
            .withVersion("half_plus_two", 123, TestData.halfPlusTwo())
            .withDemoModel()
            .start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** An OIP binary request to half_plus_two: the JSON header, then {@code data}. */
  private static HttpResponse<byte[]> postBinary(String header, byte[] data) throws Exception {
    byte[] headerBytes = header.getBytes(StandardCharsets.UTF_8);
    byte[] body = Arrays.copyOf(headerBytes, headerBytes.length + data.length);
    System.arraycopy(data, 0, body, headerBytes.length, data.length);
    return server.post(
        "/v2/models/half_plus_two/infer",
        body,
        Map.of("Inference-Header-Content-Length", Integer.toString(headerBytes.length)));
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return JSON.readTree(response.body());
  }

  @Test
  void serverAndHealthEndpoints() throws Exception {
    JsonNode metadata = json(server.get("/v2"));
    assertThat(metadata.get("name").asText()).isEqualTo("tuneserve");
    assertThat(metadata.get("extensions").toString()).contains("binary_tensor_data");
    assertThat(server.get("/v2/health/live").statusCode()).isEqualTo(200);
    assertThat(json(server.get("/v2/health/ready")).get("ready").asBoolean()).isTrue();
    assertThat(server.get("/v2/models/half_plus_two/ready").statusCode()).isEqualTo(200);
    assertThat(server.get("/v2/models/half_plus_two/versions/123/ready").statusCode())
        .isEqualTo(200);
    assertThat(server.get("/v2/models/half_plus_two/versions/5/ready").statusCode()).isEqualTo(400);
  }

  @Test
  void modelMetadataComesFromTheSignature() throws Exception {
    JsonNode metadata = json(server.get("/v2/models/fashion-convnet"));
    assertThat(metadata)
        .isEqualTo(
            JSON.readTree(
                """
                {"name":"fashion-convnet","versions":["1"],"platform":"tensorflow_savedmodel",
                 "inputs":[{"name":"images","datatype":"FP32","shape":[-1,-1,-1,1]}],
                 "outputs":[{"name":"logits","datatype":"FP32","shape":[-1,10]},
                            {"name":"probabilities","datatype":"FP32","shape":[-1,10]}]}
                """));
    assertThat(server.get("/v2/models/nope").statusCode()).isEqualTo(404);
  }

  @Test
  void infersWithJsonAndEchoesTheId() throws Exception {
    HttpResponse<String> response =
        server.post(
            "/v2/models/half_plus_two/infer",
            """
            {"id": "req-7", "inputs": [{"name": "x", "shape": [3, 1], "datatype": "FP32",
              "data": [1.0, 2.0, 5.0]}]}
            """);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(json(response))
        .isEqualTo(
            JSON.readTree(
                """
                {"model_name":"half_plus_two","model_version":"123","id":"req-7",
                 "outputs":[{"name":"y","datatype":"FP32","shape":[3,1],"data":[2.5,3.0,4.5]}]}
                """));
  }

  @Test
  void infersWithBinaryTensorsBothWays() throws Exception {
    float[] image = imagePixels("images/bag.png");
    String header =
        "{\"inputs\":[{\"name\":\"images\",\"shape\":[1,28,28,1],\"datatype\":\"FP32\","
            + "\"parameters\":{\"binary_data_size\":"
            + image.length * 4
            + "}}],\"outputs\":[{\"name\":\"probabilities\",\"parameters\":{\"binary_data\":true}}]}";
    byte[] headerBytes = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer body =
        ByteBuffer.allocate(headerBytes.length + image.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    body.put(headerBytes);
    for (float pixel : image) {
      body.putFloat(pixel);
    }
    HttpResponse<byte[]> response =
        server.post(
            "/v2/models/fashion-convnet/infer",
            body.array(),
            Map.of(
                "Inference-Header-Content-Length",
                Integer.toString(headerBytes.length),
                "content-type",
                "application/octet-stream"));
    assertThat(response.statusCode()).isEqualTo(200);
    int jsonLength =
        Integer.parseInt(
            response.headers().firstValue("Inference-Header-Content-Length").orElseThrow());
    JsonNode reply = JSON.readTree(Arrays.copyOf(response.body(), jsonLength));
    assertThat(reply.at("/outputs/0/parameters/binary_data_size").asInt()).isEqualTo(40);
    assertThat(response.body().length).isEqualTo(jsonLength + 40);
    ByteBuffer scores =
        ByteBuffer.wrap(response.body(), jsonLength, 40).order(ByteOrder.LITTLE_ENDIAN);
    int best = 0;
    float bestScore = -1;
    float sum = 0;
    for (int i = 0; i < 10; i++) {
      float score = scores.getFloat();
      sum += score;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    assertThat(sum).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-4f));
    assertThat(best).as("class index of 'Bag'").isEqualTo(8);
  }

  @ParameterizedTest
  @CsvSource({"NaN, 3", "Infinity, 0", "-Infinity, 7"})
  void refusesNonFiniteBinaryValuesNamingTheElement(float bad, int at) throws Exception {
    ByteBuffer values = ByteBuffer.allocate(8 * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 8; i++) {
      values.putFloat(i == at ? bad : i);
    }
    HttpResponse<byte[]> response =
        postBinary(
            "{\"inputs\":[{\"name\":\"x\",\"shape\":[8],\"datatype\":\"FP32\","
                + "\"parameters\":{\"binary_data_size\":32}}]}",
            values.array());
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(new String(response.body(), StandardCharsets.UTF_8))
        .contains("input 'x' holds " + (double) bad + " at element " + at);
  }

  @Test
  void readsABodySentInChunksWithoutALength() throws Exception {
    byte[] body =
        "{\"inputs\": [{\"name\": \"x\", \"shape\": [3], \"datatype\": \"FP32\", \"data\": [1, 2, 5]}]}"
            .getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> response =
        server
            .client()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        server.client().uri("/v2/models/half_plus_two/infer"))
                    .header("content-type", "application/json")
                    .POST(
                        java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                            () -> new java.io.ByteArrayInputStream(body))));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(json(response).at("/outputs/0/data").toString()).isEqualTo("[2.5,3.0,4.5]");
  }

  @Test
  void aSignatureThatTrainsTheModelIsNotServed() throws Exception {
    String image = TestData.uniformImageTensor(0.5f);
    String before =
        json(server.post("/v2/models/fashion-convnet/infer", "{\"inputs\": [" + image + "]}"))
            .toString();
    String trainStep =
        "{\"parameters\": {\"signature_name\": \"train_step\"}, \"inputs\": ["
            + image
            + ", {\"name\": \"labels\", \"shape\": [1], \"datatype\": \"INT64\", \"data\": [3]},"
            + " {\"name\": \"lr_base\", \"shape\": [], \"datatype\": \"FP32\", \"data\": [100.0]},"
            + " {\"name\": \"lr_head\", \"shape\": [], \"datatype\": \"FP32\", \"data\": [100.0]}]}";
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> response = server.post("/v2/models/fashion-convnet/infer", trainStep);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
      assertThat(json(response).get("error").asText())
          .contains("signature train_step changes the model when it runs");
    }
    HttpResponse<String> tfServing =
        server.post(
            "/v1/models/fashion-convnet:predict",
            "{\"signature_name\": \"train_step\", \"inputs\": {\"images\": [[[[0.5]]]], \"labels\": [1],"
                + " \"lr_base\": 1.0, \"lr_head\": 1.0}}");
    assertThat(tfServing.statusCode()).as(tfServing.body()).isEqualTo(400);
    assertThat(
            json(server.post("/v2/models/fashion-convnet/infer", "{\"inputs\": [" + image + "]}"))
                .toString())
        .as("the weights are as they were")
        .isEqualTo(before);
  }

  @Test
  void shapesTheGraphCannotComputeOnAreRefusedAndOthersAnswered() throws Exception {
    HttpResponse<String> rank3 =
        server.post(
            "/v2/models/fashion-convnet/infer",
            "{\"inputs\": [{\"name\": \"images\", \"shape\": [1, 28, 28], \"datatype\": \"FP32\", \"data\": ["
                + "0.5,".repeat(783)
                + "0.5]}]}");
    assertThat(rank3.statusCode()).as(rank3.body()).isEqualTo(400);
    assertThat(json(rank3).get("error").asText())
        .contains("input 'images' has shape [1, 28, 28] but the model expects [-1, -1, -1, 1]")
        .contains("the graph cannot compute on it")
        .contains("rank 4");
    HttpResponse<String> wide =
        server.post(
            "/v2/models/half_plus_two/infer",
            "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"data\": [1.0, 2.0]}]}");
    assertThat(wide.statusCode()).as(wide.body()).isEqualTo(200);
    assertThat(json(wide).at("/outputs/0/data").toString()).isEqualTo("[2.5,3.0]");
    assertThat(server.get("/v2/health/live").statusCode()).isEqualTo(200);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"inputs\": [{\"name\": \"x\", \"shape\": [2, 1], \"datatype\": \"INT64\", \"data\": [1, 2]}]} | 400 | has datatype INT64 but the model expects FP32",
        "{\"inputs\": [{\"name\": \"x\", \"shape\": [2, 1], \"datatype\": \"FP32\", \"data\": [1.0]}]} | 400 | needs 2 elements, data has 1",
        "{\"inputs\": [{\"name\": \"z\", \"shape\": [1, 1], \"datatype\": \"FP32\", \"data\": [1.0]}]} | 400 | unknown input 'z'",
        "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 1], \"datatype\": \"FP99\", \"data\": [1.0]}]} | 400 | unsupported datatype",
        "{\"inputs\": [{\"name\": \"x\", \"shape\": [-1, 1], \"datatype\": \"FP32\", \"data\": [1.0]}]} | 400 | non-negative integers",
        "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 1], \"datatype\": \"FP32\", \"data\": [1.0]}], \"outputs\": [{\"name\": \"nope\"}]} | 400 | unknown output 'nope'",
        "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 1], \"datatype\": \"FP32\", \"data\": [\"a\"]}]} | 400 | not of expected type: float",
        "{\"inputs\": []} | 400 | non-empty list",
        "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 1], \"datatype\": \"FP32\", \"data\": [1.0]}], \"id\": 5} | 400 | 'id' must be a string",
        "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 1], \"datatype\": \"FP32\", \"parameters\": {\"binary_data_size\": 4}}]} | 400 | only 0 bytes of binary data remain",
        "not json | 400 | JSON Parse error",
      })
  void rejectsBadRequestsWithTheirReason(String body, int status, String message) throws Exception {
    HttpResponse<String> response = server.post("/v2/models/half_plus_two/infer", body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(json(response).get("error").asText()).contains(message);
  }

  @Test
  void rejectsBinaryHeadersThatLie() throws Exception {
    String header =
        "{\"inputs\":[{\"name\":\"x\",\"shape\":[2,1],\"datatype\":\"FP32\","
            + "\"parameters\":{\"binary_data_size\":8}}]}";
    byte[] headerBytes = header.getBytes(StandardCharsets.UTF_8);
    byte[] body = Arrays.copyOf(headerBytes, headerBytes.length + 12);
    HttpResponse<byte[]> extra = postBinary(header, new byte[12]);
    assertThat(extra.statusCode()).isEqualTo(400);
    assertThat(new String(extra.body(), StandardCharsets.UTF_8)).contains("unused");
    HttpResponse<byte[]> tooLong =
        server.post(
            "/v2/models/half_plus_two/infer",
            body,
            Map.of("Inference-Header-Content-Length", "100000"));
    assertThat(tooLong.statusCode()).isEqualTo(400);
    HttpResponse<byte[]> notNumber =
        server.post(
            "/v2/models/half_plus_two/infer",
            body,
            Map.of("Inference-Header-Content-Length", "ab"));
    assertThat(notNumber.statusCode()).isEqualTo(400);
  }

  static float[] imagePixels(String resource) throws Exception {
    java.awt.image.BufferedImage image =
        javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(TestData.bytes(resource)));
    float[] pixels = new float[28 * 28];
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        pixels[y * 28 + x] = (image.getRGB(x, y) & 0xff) / 255f;
      }
    }
    return pixels;
  }
}
