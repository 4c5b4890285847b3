package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.data.UciDigits;
import io.tuneserve.testing.ImageJobs;
import io.tuneserve.testing.TestData;
import io.tuneserve.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keras / TF2 SavedModels made by others, dropped into the repository as they are (no model.yaml):
 * their layers are listed, their CNN codes found, and feature-extractor and fine-tuning jobs on
 * them (top-layer, earlier-layer, fine-tuning and automatic) publish versions that answer, over
 * HTTP with real sessions.
 */
class BringYourOwnModelTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] NAMES = {"top", "trouser", "pullover"};
  private static TestServer server;
  private static ImageJobs fashion;

  @BeforeAll
  static void start() throws Exception {
    Path thirdParty = TestData.shared("thirdparty");
    fashion = new ImageJobs();
    server =
        new TestServer()
            .withVersion("mnist", 1, thirdParty.resolve("mnist-cnn-2shard/1"))
            .withVersion("emotion", 1, thirdParty.resolve("emotion-minixception/1"))
            .start();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void layersAreListedWithTheAutomaticCnnCodes() throws Exception {
    JsonNode layers = JSON.readTree(server.get("/v2/models/mnist/layers").body());
    assertThat(layers.get("note").asText()).startsWith("inlined ");
    assertThat(layers.at("/features/features").asText()).isEqualTo("cnn_codes/features:0");
    JsonNode first = layers.get("layers").get(0);
    assertThat(first.get("name").asText()).isEqualTo("dense_1");
    assertThat(first.get("kind").asText()).isEqualTo("softmax");
    assertThat(layers.get("layers").findValuesAsText("name"))
        .contains("dense", "conv2d_1", "conv2d");
    JsonNode emotion = JSON.readTree(server.get("/v2/models/emotion/versions/1/layers").body());
    assertThat(emotion.get("layers").findValuesAsText("kind"))
        .contains("batch_norm", "add", "conv");
    assertThat(server.get("/v2/models/nope/layers").statusCode()).isEqualTo(404);
  }

  @Test
  void aDroppedInModelClassifiesImagesWithPreprocessingFromItsSignature() throws Exception {
    byte[] png =
        Files.readAllBytes(
            TestData.shared("thirdparty").resolve("mnist-cnn-2shard/samples/digit0_gihants.png"));
    HttpResponse<byte[]> reply =
        server.post(
            "/v1/models/mnist:classify-image", png, java.util.Map.of("Content-Type", "image/png"));
    assertThat(reply.statusCode()).as(new String(reply.body())).isEqualTo(200);
    JsonNode best = JSON.readTree(reply.body()).at("/predictions/0");
    assertThat(best.get("index").asInt()).isZero();
    assertThat(best.get("score").asDouble()).isGreaterThan(0.99);
    String b64 = Base64.getEncoder().encodeToString(png);
    HttpResponse<String> predict =
        server.post("/v1/models/mnist:predict", "{\"instances\": [{\"b64\": \"" + b64 + "\"}]}");
    assertThat(predict.statusCode()).as(predict.body()).isEqualTo(200);
  }

  @Test
  void featureExtractorAndFineTuneJobsPublishVersionsThatAnswer() throws Exception {
    for (String model : new String[] {"mnist", "emotion"}) {
      succeeded(model, model + "-head", "\"strategy\": \"feature_extractor\"");
      succeeded(
          model,
          model + "-tuned",
          "\"strategy\": \"fine_tune\", \"hyperparameters\": {\"epochs\": 2,"
              + " \"head_epochs\": 1, \"frozen_blocks\": 2, \"base_learning_rate\": 0.001}");
      JsonNode layers = JSON.readTree(server.get("/v2/models/" + model + "-tuned/layers").body());
      assertThat(layers.get("layers").size())
          .as("the fine-tuned version is a graph whose layers can be read again")
          .isGreaterThan(3);
    }
  }

  @Test
  void earlierLayerAndAutoJobsRunOnTheFoundLayers() throws Exception {
    for (String model : new String[] {"mnist", "emotion"}) {
      succeeded(
          model,
          model + "-early",
          "\"strategy\": \"earlier_layer_features\", \"hyperparameters\": {\"epochs\": 4}");
      JsonNode auto =
          succeeded(
              model,
              model + "-auto",
              "\"strategy\": \"auto\", \"hyperparameters\": {\"epochs\": 2}");
      assertThat(auto.at("/decision/earlier_probe_accuracy").isNumber())
          .as("the automatic earlier layer was probed: " + auto.get("decision"))
          .isTrue();
      assertThat(auto.at("/decision/chosen").asText())
          .isIn("feature_extractor", "earlier_layer_features", "fine_tune");
    }
  }

  /**
   * Runs a job on the three Fashion-MNIST classes at the base's input size, and checks that it
   * succeeded and that its new version answers with a score for each class.
   */
  private static JsonNode succeeded(String model, String target, String options) throws Exception {
    int size = model.equals("mnist") ? 28 : 48;
    JsonNode job = run(fashion.job(model, target, NAMES, 60, size, options));
    assertThat(job.get("state").asText()).as(job.toString()).isEqualTo("SUCCEEDED");
    HttpResponse<String> reply =
        server.post(
            "/v1/models/" + target + ":predict",
            "{\"instances\": [" + fashion.image(0, size) + "]}");
    assertThat(reply.statusCode()).as(target + ": " + reply.body()).isEqualTo(200);
    assertThat(JSON.readTree(reply.body()).at("/predictions/0/probabilities").size())
        .as(reply.body())
        .isEqualTo(NAMES.length);
    return job;
  }

  @Test
  void theDigitSampleKeepsItsClassThroughFeatureExtraction() throws Exception {
    ImageJobs digits =
        new ImageJobs(UciDigits.read(TestData.shared("digits").resolve("digits.csv.gz")));
    String[] names = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    JsonNode job =
        run(
            digits.job(
                "mnist", "uci-digits", names, 300, 28, "\"strategy\": \"feature_extractor\""));
    assertThat(job.get("state").asText()).as(job.toString()).isEqualTo("SUCCEEDED");
    byte[] png =
        Files.readAllBytes(
            TestData.shared("thirdparty").resolve("mnist-cnn-2shard/samples/digit0_gihants.png"));
    HttpResponse<byte[]> reply =
        server.post(
            "/v1/models/uci-digits:classify-image",
            png,
            java.util.Map.of("Content-Type", "image/png"));
    assertThat(reply.statusCode()).as(new String(reply.body())).isEqualTo(200);
    assertThat(JSON.readTree(reply.body()).at("/predictions/0/label").asText())
        .as(new String(reply.body()))
        .isEqualTo("0");
  }

  private static JsonNode run(String body) throws Exception {
    HttpResponse<String> submitted = server.post("/v1/jobs", body);
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    return server.client().awaitJob(JSON.readTree(submitted.body()).get("id").asText());
  }
}
