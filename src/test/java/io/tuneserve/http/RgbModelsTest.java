package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.testing.ImageJobs;
import io.tuneserve.testing.TestServer;
import io.tuneserve.tf.TestModels;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * RGB models exported by TensorFlow Java, dropped in with no model.yaml: one takes floats in [0,
 * 1], one takes raw UINT8 pixels and rescales them itself. Both classify PNGs with preprocessing
 * read from their input signature, and learn red from blue through feature extraction and
 * fine-tuning. A third takes raw pixels of any size and resizes them in its graph. Fine-tuning
 * through an op TensorFlow has no gradient for is refused with the op named.
 */
class RgbModelsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static TestServer server;
  private static Path exports;

  @BeforeAll
  static void start() throws Exception {
    exports = Files.createTempDirectory("rgb-models");
    TestModels.exportRgbConvNet(exports.resolve("floats/1"), 4, false);
    TestModels.exportRgbConvNet(exports.resolve("bytes/1"), 4, true);
    TestModels.exportRoundingConvNet(exports.resolve("rounded/1"), 4);
    TestModels.exportResizingConvNet(exports.resolve("any-size/1"), 4);
    server =
        new TestServer()
            .withVersion("rgb", 1, exports.resolve("floats/1"))
            .withVersion("rgb-raw", 1, exports.resolve("bytes/1"))
            .withVersion("rgb-rounded", 1, exports.resolve("rounded/1"))
            .withVersion("rgb-any-size", 1, exports.resolve("any-size/1"))
            .start();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    TestServer.deleteTree(exports);
  }

  @Test
  void bothClassifyAColourPngAndLearnRedFromBlue() throws Exception {
    for (String model : new String[] {"rgb", "rgb-raw"}) {
      assertThat(classified(model, png(new Random(1), true, 48)).get("predictions").size())
          .isEqualTo(4);

      JsonNode layers = JSON.readTree(server.get("/v2/models/" + model + "/layers").body());
      assertThat(layers.at("/features/features").asText()).isEqualTo("cnn_codes/features:0");
      assertThat(layers.at("/features/earlier").asText()).isEqualTo("cnn_codes/earlier:0");

      for (String strategy : new String[] {"feature_extractor", "fine_tune"}) {
        String target = model + "-" + strategy.replace('_', '-');
        JsonNode job =
            run(
                job(
                    model,
                    target,
                    "\"strategy\": \""
                        + strategy
                        + "\", \"hyperparameters\": {\"epochs\": 20, \"frozen_blocks\": 1,"
                        + " \"validation_fraction\": 0}"));
        assertThat(job.get("state").asText()).as(job.toString()).isEqualTo("SUCCEEDED");
        tellsRedFromBlue(target, 40);
      }
    }
  }

  @Test
  void aModelThatResizesItselfTakesImagesAtTheirOwnSizeAndIsFineTunedAtTheJobsSize()
      throws Exception {
    for (int size : new int[] {20, 48, 97}) {
      assertThat(
              classified("rgb-any-size", png(new Random(size), true, size))
                  .get("predictions")
                  .size())
          .isEqualTo(4);
    }
    String two =
        "{\"instances\": [{\"b64\": \""
            + Base64.getEncoder().encodeToString(png(new Random(1), true, 30))
            + "\"}, {\"b64\": \""
            + Base64.getEncoder().encodeToString(png(new Random(2), false, 40))
            + "\"}]}";
    HttpResponse<String> mixed = server.post("/v1/models/rgb-any-size:predict", two);
    assertThat(mixed.statusCode()).as(mixed.body()).isEqualTo(400);
    assertThat(mixed.body()).contains("differ in size", "40x40 after 30x30");

    HttpResponse<String> ragged =
        server.post(
            "/v1/jobs", job("rgb-any-size", "rgb-any-size-tuned", "\"strategy\": \"fine_tune\""));
    assertThat(ragged.statusCode()).as(ragged.body()).isEqualTo(400);
    assertThat(ragged.body()).contains("image_size");
    JsonNode job =
        run(
            job(
                "rgb-any-size",
                "rgb-any-size-tuned",
                "\"strategy\": \"fine_tune\", \"image_size\": [36, 36], \"hyperparameters\":"
                    + " {\"epochs\": 20, \"frozen_blocks\": 1, \"validation_fraction\": 0}"));
    assertThat(job.get("state").asText()).as(job.toString()).isEqualTo("SUCCEEDED");
    tellsRedFromBlue("rgb-any-size-tuned", 60);
  }

  @Test
  void fineTuningThroughAnOpWithNoGradientIsRefusedBeforeTrainingWithTheOpNamed() throws Exception {
    JsonNode refused =
        run(
            job(
                "rgb-rounded",
                "rgb-rounded-tuned",
                "\"strategy\": \"fine_tune\", \"hyperparameters\": {\"frozen_blocks\": 1}"));
    assertThat(refused.get("state").asText()).as(refused.toString()).isEqualTo("FAILED");
    assertThat(refused.get("error").asText())
        .as(refused.toString())
        .contains("no gradient", "op Round", "block2/quantized", "frozen_blocks");
    assertThat(refused.get("epochs")).as("no epoch ran").isEmpty();
    assertThat(server.get("/v2/models/rgb-rounded-tuned").statusCode()).isEqualTo(404);

    JsonNode above =
        run(
            job(
                "rgb-rounded",
                "rgb-rounded-top",
                "\"strategy\": \"fine_tune\", \"hyperparameters\": {\"frozen_blocks\": 2,"
                    + " \"epochs\": 2}"));
    assertThat(above.get("state").asText())
        .as("only block3, above the Round, is trained: " + above)
        .isEqualTo("SUCCEEDED");
  }

  /** A red and a blue image of this size are classified as such by {@code target}. */
  private static void tellsRedFromBlue(String target, int size) throws Exception {
    for (boolean red : new boolean[] {true, false}) {
      assertThat(
              classified(target, png(new Random(99), red, size))
                  .at("/predictions/0/label")
                  .asText())
          .as(target)
          .isEqualTo(red ? "red" : "blue");
    }
  }

  /** The answer of {@code model}'s {@code :classify-image} to a PNG, which must be 200. */
  private static JsonNode classified(String model, byte[] png) throws Exception {
    HttpResponse<byte[]> reply =
        server.post(
            "/v1/models/" + model + ":classify-image", png, Map.of("Content-Type", "image/png"));
    assertThat(reply.statusCode()).as(model + ": " + new String(reply.body())).isEqualTo(200);
    return JSON.readTree(reply.body());
  }

  private static JsonNode run(String body) throws Exception {
    HttpResponse<String> submitted = server.post("/v1/jobs", body);
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    return server.client().awaitJob(JSON.readTree(submitted.body()).get("id").asText());
  }

  /** 16 red and 16 blue noisy PNGs of assorted sizes, as b64 instances. */
  private static String job(String base, String target, String options) throws IOException {
    Random random = new Random(7);
    StringBuilder instances = new StringBuilder();
    StringBuilder labels = new StringBuilder();
    for (int i = 0; i < 32; i++) {
      boolean red = i % 2 == 0;
      String b64 = Base64.getEncoder().encodeToString(png(random, red, 24 + i));
      instances.append(i == 0 ? "" : ",").append("{\"b64\": \"").append(b64).append("\"}");
      labels.append(i == 0 ? "" : ",").append(red ? "\"red\"" : "\"blue\"");
    }
    return ImageJobs.body(base, target, options, instances, labels);
  }

  /** A mostly red or mostly blue image with noise in every channel. */
  private static byte[] png(Random random, boolean red, int size) throws IOException {
    BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        int strong = 150 + random.nextInt(100);
        int weak = random.nextInt(90);
        int green = random.nextInt(90);
        int rgb = red ? (strong << 16) | (green << 8) | weak : (weak << 16) | (green << 8) | strong;
        image.setRGB(x, y, rgb);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }
}
