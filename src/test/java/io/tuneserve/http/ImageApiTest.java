package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.testing.TestData;
import io.tuneserve.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Classifying real Fashion-MNIST test images sent as PNG bodies. */
class ImageApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server =
        new TestServer()
            .withDemoModel()
            .withVersion("half_plus_two", 1, TestData.halfPlusTwo())
            .set("http.max_image_pixels", 10_000)
            .start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static HttpResponse<byte[]> classify(String path, byte[] image) throws Exception {
    return server.post(path, image, Map.of("content-type", "image/png"));
  }

  private static JsonNode json(HttpResponse<byte[]> response) throws Exception {
    return JSON.readTree(response.body());
  }

  @ParameterizedTest(name = "{0} is a {1}")
  @CsvSource({
    "trouser.png, Trouser",
    "bag.png, Bag",
    "sneaker.png, Sneaker",
    "ankle-boot.png, Ankle boot",
    "sandal.png, Sandal",
    "dress.png, Dress"
  })
  void classifiesRealImages(String file, String label) throws Exception {
    HttpResponse<byte[]> response =
        classify(
            "/v1/models/fashion-convnet:classify-image?top_k=3", TestData.bytes("images/" + file));
    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode reply = json(response);
    assertThat(reply.get("model_version").asText()).isEqualTo("1");
    assertThat(reply.get("predictions")).hasSize(3);
    assertThat(reply.at("/predictions/0/label").asText()).isEqualTo(label);
    double first = reply.at("/predictions/0/score").asDouble();
    double second = reply.at("/predictions/1/score").asDouble();
    assertThat(first).isGreaterThanOrEqualTo(second).isLessThanOrEqualTo(1.0);
  }

  @Test
  void rejectsWhatIsNotAnImage() throws Exception {
    HttpResponse<byte[]> text =
        classify(
            "/v1/models/fashion-convnet:classify-image", "hello".getBytes(StandardCharsets.UTF_8));
    assertThat(text.statusCode()).isEqualTo(400);
    assertThat(json(text).get("error").asText()).contains("PNG or JPEG");
    byte[] png = TestData.bytes("images/bag.png");
    byte[] truncated = java.util.Arrays.copyOf(png, png.length / 2);
    HttpResponse<byte[]> broken = classify("/v1/models/fashion-convnet:classify-image", truncated);
    assertThat(broken.statusCode()).isEqualTo(400);
    HttpResponse<byte[]> empty = classify("/v1/models/fashion-convnet:classify-image", new byte[0]);
    assertThat(empty.statusCode()).isEqualTo(400);
  }

  @Test
  void rejectsImagesOverThePixelLimitBeforeDecoding() throws Exception {
    java.awt.image.BufferedImage big =
        new java.awt.image.BufferedImage(200, 200, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    javax.imageio.ImageIO.write(big, "png", out);
    HttpResponse<byte[]> response =
        classify("/v1/models/fashion-convnet:classify-image", out.toByteArray());
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(json(response).get("error").asText()).contains("40000 pixels; the limit is 10000");
  }

  @Test
  void explainsModelsWithoutImageSettingsAndBadParameters() throws Exception {
    byte[] png = TestData.bytes("images/bag.png");
    HttpResponse<byte[]> noSettings = classify("/v1/models/half_plus_two:classify-image", png);
    assertThat(noSettings.statusCode()).isEqualTo(400);
    assertThat(json(noSettings).get("error").asText()).contains("has no image preprocessing");
    HttpResponse<byte[]> badTopK =
        classify("/v1/models/fashion-convnet:classify-image?top_k=zero", png);
    assertThat(badTopK.statusCode()).isEqualTo(400);
    assertThat(classify("/v1/models/nope:classify-image", png).statusCode()).isEqualTo(404);
  }
}
