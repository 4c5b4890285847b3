package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.data.LabelledImages;
import io.tuneserve.testing.FashionPngs;
import io.tuneserve.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Fine-tuning the demo model through the jobs API over real HTTP: new classes (footwear, top,
 * other) learned from uploaded PNGs, published as a new model that classifies pictures.
 */
class JobsApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] GROUP = {
    "top", "other", "top", "other", "top", "footwear", "top", "footwear", "other", "footwear"
  };
  private static TestServer server;
  private static LabelledImages fashion;
  private static FashionPngs pngs;

  @BeforeAll
  static void start() throws Exception {
    pngs = new FashionPngs();
    fashion = pngs.images();
    server = new TestServer().withDemoModel().start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static byte[] png(int index) {
    return pngs.png(index);
  }

  private static String request(String target, int from, int count, String extra) throws Exception {
    StringBuilder instances = new StringBuilder();
    StringBuilder labels = new StringBuilder();
    for (int i = from; i < from + count; i++) {
      instances
          .append(i == from ? "" : ",")
          .append("{\"b64\": \"")
          .append(Base64.getEncoder().encodeToString(png(i)))
          .append("\"}");
      labels
          .append(i == from ? "" : ",")
          .append('"')
          .append(GROUP[fashion.labels()[i]])
          .append('"');
    }
    return "{\"base_model\": \"fashion-convnet\", \"target_model\": \""
        + target
        + "\""
        + extra
        + ", \"instances\": ["
        + instances
        + "], \"labels\": ["
        + labels
        + "]}";
  }

  private static JsonNode awaitFinal(String id) throws Exception {
    return server.client().awaitJob(id);
  }

  @Test
  void fineTunesAndServesTheNewClasses() throws Exception {
    HttpResponse<String> submitted =
        server.post(
            "/v1/jobs",
            request(
                "fashion-groups", 0, 150, ", \"hyperparameters\": {\"epochs\": 15, \"seed\": 3}"));
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    JsonNode queued = JSON.readTree(submitted.body());
    assertThat(submitted.headers().firstValue("location"))
        .contains("/v1/jobs/" + queued.get("id").asText());
    assertThat(queued.get("classes").toString()).isEqualTo("[\"footwear\",\"other\",\"top\"]");
    assertThat(queued.get("data_sha256").asText()).hasSize(64);

    JsonNode job = awaitFinal(queued.get("id").asText());
    assertThat(job.get("state").asText()).as(job.toString()).isEqualTo("SUCCEEDED");
    assertThat(job.at("/result/version").asText()).isEqualTo("1");
    assertThat(job.at("/result/validation_accuracy").asDouble()).isGreaterThan(0.7);
    assertThat(job.get("epochs").size()).isBetween(1, 15);
    assertThat(job.get("phase_started_at").fieldNames())
        .toIterable()
        .containsExactlyInAnyOrder("preparing", "training", "evaluating", "publishing");
    assertThat(job.get("base_version").asText()).isEqualTo("1");

    int correct = 0;
    for (int i = 5000; i < 5030; i++) {
      HttpResponse<byte[]> reply =
          server.post(
              "/v1/models/fashion-groups:classify-image?top_k=1",
              png(i),
              Map.of("content-type", "image/png"));
      assertThat(reply.statusCode()).isEqualTo(200);
      if (JSON.readTree(reply.body())
          .at("/predictions/0/label")
          .asText()
          .equals(GROUP[fashion.labels()[i]])) {
        correct++;
      }
    }
    assertThat(correct)
        .as("held-out images classified into the new classes")
        .isGreaterThanOrEqualTo(24);
    assertThat(Files.readString(server.repository().resolve("fashion-groups/model.yaml")))
        .contains("footwear", "image:");
    assertThat(server.get("/v1/jobs").body()).contains(queued.get("id").asText());
    JsonNode lineage =
        JSON.readTree(server.get("/v2/models/fashion-groups").body()).at("/parameters/lineage");
    assertThat(lineage.get("base_model").asText()).isEqualTo("fashion-convnet");
    assertThat(lineage.get("base_version").asText()).isEqualTo("1");
    assertThat(job.at("/decision/size").asText()).isEqualTo("small");
    assertThat(job.at("/decision/reason").asText()).contains("probe");
    assertThat(lineage.get("strategy").asText()).isEqualTo(job.at("/decision/chosen").asText());
    assertThat(lineage.at("/decision/requested").asText()).isEqualTo("auto");
    assertThat(lineage.get("data_sha256").asText()).isEqualTo(queued.get("data_sha256").asText());
    assertThat(lineage.at("/metrics/validation_accuracy").asDouble())
        .isEqualTo(job.at("/result/validation_accuracy").asDouble());
    assertThat(server.post("/v2/repository/index", "").body())
        .contains("\"lineage\":{\"base_model\"");
  }

  @Test
  void trainsOnAnEarlierLayerWhenAsked() throws Exception {
    HttpResponse<String> submitted =
        server.post(
            "/v1/jobs",
            request(
                "fashion-groups-early",
                200,
                90,
                ", \"strategy\": \"earlier_layer_features\", \"hyperparameters\": {\"epochs\": 8},"
                    + " \"augmentation\": {\"rotation_degrees\": 5, \"contrast\": 0.1}"));
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    JsonNode job = awaitFinal(JSON.readTree(submitted.body()).get("id").asText());
    assertThat(job.get("state").asText()).as(job.toString()).isEqualTo("SUCCEEDED");
    assertThat(job.get("strategy").asText()).isEqualTo("earlier_layer_features");
    assertThat(job.get("augmentation").toString())
        .as("what the job asked for, the settings it left out off")
        .isEqualTo(
            "{\"crop\":0.0,\"flip\":false,\"rotation_degrees\":5.0,\"brightness\":0.0,\"contrast\":0.1}");
    HttpResponse<byte[]> reply =
        server.post(
            "/v1/models/fashion-groups-early:classify-image",
            png(5000),
            Map.of("content-type", "image/png"));
    assertThat(reply.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(reply.body()).get("predictions")).hasSize(3);

    JsonNode evaluation = job.at("/result/evaluations/0");
    assertThat(evaluation.get("split").asText()).isEqualTo("validation");
    assertThat(evaluation.get("accuracy").asDouble())
        .as("the report is of the weights kept, the best epoch's")
        .isEqualTo(job.at("/result/validation_accuracy").asDouble());
    int examples = evaluation.get("examples").asInt();
    assertThat(examples).isPositive().isLessThan(90);
    int total = 0;
    int correct = 0;
    JsonNode matrix = evaluation.get("confusion_matrix");
    assertThat(matrix).hasSize(3);
    for (int t = 0; t < matrix.size(); t++) {
      assertThat(matrix.get(t)).hasSize(3);
      for (int p = 0; p < matrix.size(); p++) {
        total += matrix.get(t).get(p).asInt();
        correct += t == p ? matrix.get(t).get(p).asInt() : 0;
      }
      assertThat(evaluation.at("/classes/" + t + "/support").asInt())
          .isEqualTo(sumOf(matrix.get(t)));
    }
    assertThat(total).isEqualTo(examples);
    assertThat(correct / (double) total).isEqualTo(evaluation.get("accuracy").asDouble());
    assertThat(evaluation.get("classes").findValuesAsText("class"))
        .containsExactlyInAnyOrder("top", "other", "footwear");
    JsonNode served =
        JSON.readTree(server.get("/v2/models/fashion-groups-early/versions/1/evaluation").body());
    assertThat(served.at("/evaluations/0")).isEqualTo(evaluation);
    assertThat(
            JSON.readTree(server.get("/v2/models/fashion-groups-early").body())
                .at("/parameters/lineage/evaluations/0"))
        .isEqualTo(evaluation);
    HttpResponse<String> none = server.get("/v2/models/fashion-convnet/evaluation");
    assertThat(none.statusCode()).isEqualTo(404);
    assertThat(none.body()).contains("has no evaluation");
  }

  private static int sumOf(JsonNode row) {
    int sum = 0;
    for (JsonNode count : row) {
      sum += count.asInt();
    }
    return sum;
  }

  @Test
  void fineTunesThroughTheNetwork() throws Exception {
    HttpResponse<String> submitted =
        server.post(
            "/v1/jobs",
            request(
                "fashion-groups-tuned",
                400,
                120,
                ", \"strategy\": \"fine_tune\", \"hyperparameters\": {\"epochs\": 4, \"head_epochs\": 1,"
                    + " \"frozen_blocks\": 1, \"base_learning_rate\": 0.002}"));
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    JsonNode job = awaitFinal(JSON.readTree(submitted.body()).get("id").asText());
    assertThat(job.get("state").asText()).as(job.toString()).isEqualTo("SUCCEEDED");
    assertThat(job.at("/hyperparameters/base_learning_rate").asDouble()).isEqualTo(0.002);
    JsonNode lineage =
        JSON.readTree(server.get("/v2/models/fashion-groups-tuned").body())
            .at("/parameters/lineage");
    assertThat(lineage.get("strategy").asText()).isEqualTo("fine_tune");
    assertThat(lineage.at("/hyperparameters/frozen_blocks").asInt()).isEqualTo(1);
    assertThat(lineage.at("/augmentation/contrast").asDouble())
        .as("a small dataset is augmented unless the job says otherwise")
        .isPositive();
    assertThat(lineage.at("/augmentation/crop").asDouble()).isPositive();
  }

  @Test
  void progressStreamsOverServerSentEventsAndWebSocket() throws Exception {
    HttpResponse<String> submitted =
        server.post(
            "/v1/jobs",
            request(
                "fashion-groups-live",
                600,
                90,
                ", \"hyperparameters\": {\"epochs\": 150, \"patience\": 150}"));
    String id = JSON.readTree(submitted.body()).get("id").asText();

    CompletableFuture<List<String>> messages = new CompletableFuture<>();
    List<String> received = new CopyOnWriteArrayList<>();
    HttpClient.newHttpClient()
        .newWebSocketBuilder()
        .buildAsync(
            java.net.URI.create("ws://127.0.0.1:" + server.port() + "/v1/jobs/" + id + "/ws"),
            new WebSocket.Listener() {
              private final StringBuilder text = new StringBuilder();

              @Override
              public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                  received.add(text.toString());
                  text.setLength(0);
                }
                socket.request(1);
                return null;
              }

              @Override
              public CompletionStage<?> onClose(WebSocket socket, int code, String reason) {
                messages.complete(received);
                return null;
              }
            })
        .get(10, TimeUnit.SECONDS);

    HttpResponse<java.util.stream.Stream<String>> events =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(server.uri("/v1/jobs/" + id + "/events")).build(),
                HttpResponse.BodyHandlers.ofLines());
    assertThat(events.headers().firstValue("content-type")).contains("text/event-stream");
    List<JsonNode> sse = new ArrayList<>();
    for (String line : (Iterable<String>) events.body()::iterator) {
      if (line.startsWith("data: ")) {
        sse.add(JSON.readTree(line.substring(6)));
      }
    }
    assertThat(sse).isNotEmpty();
    assertThat(sse.get(sse.size() - 1).get("state").asText()).isEqualTo("SUCCEEDED");

    List<String> socketMessages = messages.get(60, TimeUnit.SECONDS);
    assertThat(socketMessages.size()).as("one message per change").isGreaterThan(5);
    JsonNode last = JSON.readTree(socketMessages.get(socketMessages.size() - 1));
    assertThat(last.get("state").asText()).isEqualTo("SUCCEEDED");
    int previousEpochs = -1;
    for (String message : socketMessages) {
      int epochs = JSON.readTree(message).get("epochs").size();
      assertThat(epochs).isGreaterThanOrEqualTo(previousEpochs);
      previousEpochs = epochs;
    }
    assertThat(previousEpochs).isEqualTo(last.get("epochs").size()).isGreaterThan(0);
  }

  @Test
  void cancellingPublishesNothing() throws Exception {
    HttpResponse<String> submitted =
        server.post(
            "/v1/jobs",
            request(
                "never-published",
                0,
                60,
                ", \"hyperparameters\": {\"epochs\": 10000, \"patience\": 10000}"));
    String id = JSON.readTree(submitted.body()).get("id").asText();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!JSON.readTree(server.get("/v1/jobs/" + id).body())
            .get("state")
            .asText()
            .equals("RUNNING")
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    HttpResponse<String> cancel =
        server.send(HttpRequest.newBuilder(server.uri("/v1/jobs/" + id)).DELETE());
    assertThat(cancel.statusCode()).isEqualTo(202);
    JsonNode job = awaitFinal(id);
    assertThat(job.get("state").asText()).isEqualTo("CANCELLED");
    assertThat(server.get("/v1/models/never-published").statusCode()).isEqualTo(404);
    try (var files = Files.list(server.repository().resolve("never-published"))) {
      assertThat(files.toList()).as("no version and no staging left").isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "unknown base | {\"base_model\": \"nope\", \"target_model\": \"t\", \"instances\": [[1]], \"labels\": [\"a\"]} | 404 | Servable not found",
        "one class | {\"base_model\": \"fashion-convnet\", \"target_model\": \"t\", \"instances\": [{\"b64\": \"%s\"}], \"labels\": [\"a\"]} | 400 | at least two classes",
        "labels do not match | {\"base_model\": \"fashion-convnet\", \"target_model\": \"t\", \"instances\": [{\"b64\": \"%s\"}], \"labels\": [\"a\", \"b\"]} | 400 | 1 instances but 2 labels",
        "broken image | {\"base_model\": \"fashion-convnet\", \"target_model\": \"t\", \"instances\": [{\"b64\": \"aGVsbG8=\"}, {\"b64\": \"aGVsbG8=\"}], \"labels\": [\"a\", \"b\"]} | 400 | PNG or JPEG",
        "absurd epochs | {\"base_model\": \"fashion-convnet\", \"target_model\": \"t\", \"hyperparameters\": {\"epochs\": 0}, \"instances\": [[1]], \"labels\": [\"a\"]} | 400 | epochs must be",
        "unknown hyperparameter | {\"base_model\": \"fashion-convnet\", \"target_model\": \"t\", \"hyperparameters\": {\"epoch\": 3}, \"instances\": [[1]], \"labels\": [\"a\"]} | 400 | unknown hyperparameter 'epoch'",
        "unknown classifier | {\"base_model\": \"fashion-convnet\", \"target_model\": \"t\", \"hyperparameters\": {\"classifier\": \"tree\"}, \"instances\": [[1]], \"labels\": [\"a\"]} | 400 | must be softmax or svm",
        "unknown strategy | {\"base_model\": \"fashion-convnet\", \"target_model\": \"t\", \"strategy\": \"magic\", \"instances\": [[1]], \"labels\": [\"a\"]} | 400 | unknown strategy",
        "same target | {\"base_model\": \"fashion-convnet\", \"target_model\": \"fashion-convnet\", \"instances\": [{\"b64\": \"%s\"}, {\"b64\": \"%s\"}], \"labels\": [\"a\", \"b\"]} | 400 | must differ",
        "wrong shape | {\"base_model\": \"fashion-convnet\", \"target_model\": \"t\", \"instances\": [[1, 2], [3, 4]], \"labels\": [\"a\", \"b\"]} | 400 | base model takes",
        "no instances | {\"base_model\": \"fashion-convnet\", \"target_model\": \"t\", \"instances\": [], \"labels\": []} | 400 | non-empty list",
        "unknown augmentation | {\"base_model\": \"fashion-convnet\", \"target_model\": \"t\", \"augmentation\": {\"zoom\": 2}, \"instances\": [[1]], \"labels\": [\"a\"]} | 400 | unknown augmentation setting 'zoom'",
        "augmentation out of range | {\"base_model\": \"fashion-convnet\", \"target_model\": \"t\", \"augmentation\": {\"crop\": 0.9}, \"instances\": [[1]], \"labels\": [\"a\"]} | 400 | crop must be in [0, 0.5]",
        "augmentation not an object | {\"base_model\": \"fashion-convnet\", \"target_model\": \"t\", \"augmentation\": \"lots\", \"instances\": [[1]], \"labels\": [\"a\"]} | 400 | 'augmentation' must be",
        "augmentation flip not boolean | {\"base_model\": \"fashion-convnet\", \"target_model\": \"t\", \"augmentation\": {\"flip\": 1}, \"instances\": [[1]], \"labels\": [\"a\"]} | 400 | 'flip' must be true or false",
        "bad target name | {\"base_model\": \"fashion-convnet\", \"target_model\": \"../x\", \"instances\": [[1]], \"labels\": [\"a\"]} | 400 | 'target_model' must name a model",
      })
  void refusesBadJobsBeforeTraining(String name, String body, int status, String message)
      throws Exception {
    String image = Base64.getEncoder().encodeToString(png(0));
    HttpResponse<String> response = server.post("/v1/jobs", body.replace("%s", image));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(JSON.readTree(response.body()).get("error").asText()).contains(message);
  }

  private static byte[] form(String boundary, String job, Map<String, String> files)
      throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (job != null) {
      out.write(
          ("--"
                  + boundary
                  + "\r\nContent-Disposition: form-data; name=\"job\"\r\n\r\n"
                  + job
                  + "\r\n")
              .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    for (Map.Entry<String, String> file : files.entrySet()) {
      String label = file.getValue();
      out.write(
          ("--"
                  + boundary
                  + "\r\nContent-Disposition: form-data; name=\""
                  + label
                  + "\"; filename=\""
                  + file.getKey()
                  + "\"\r\nContent-Type: image/png\r\n\r\n")
              .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.write(io.tuneserve.testing.TestData.bytes("images/" + file.getKey()));
      out.write("\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    out.write(("--" + boundary + "--\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  @Test
  void acceptsAMultipartFormOfLabelledImageFiles() throws Exception {
    Map<String, String> files = new java.util.LinkedHashMap<>();
    for (String shoe : List.of("sandal.png", "sneaker.png", "ankle-boot.png")) {
      files.put(shoe, "footwear");
    }
    for (String other : List.of("bag.png", "dress.png", "coat.png", "tshirt.png", "trouser.png")) {
      files.put(other, "other");
    }
    String boundary = "tuneserve-test-boundary";
    byte[] body =
        form(
            boundary,
            "{\"base_model\": \"fashion-convnet\", \"target_model\": \"footwear-form\","
                + " \"strategy\": \"feature_extractor\", \"hyperparameters\": {\"validation_fraction\": 0}}",
            files);
    HttpResponse<byte[]> submitted =
        server.post(
            "/v1/jobs", body, Map.of("content-type", "multipart/form-data; boundary=" + boundary));
    assertThat(submitted.statusCode()).as(new String(submitted.body())).isEqualTo(202);
    JsonNode queued = JSON.readTree(submitted.body());
    assertThat(queued.get("classes").toString()).isEqualTo("[\"footwear\",\"other\"]");
    assertThat(queued.get("examples").asInt()).isEqualTo(8);
    JsonNode job = awaitFinal(queued.get("id").asText());
    assertThat(job.get("state").asText()).isEqualTo("SUCCEEDED");
    HttpResponse<byte[]> reply =
        server.post(
            "/v1/models/footwear-form:classify-image",
            io.tuneserve.testing.TestData.bytes("images/sneaker.png"),
            Map.of("content-type", "image/png"));
    assertThat(JSON.readTree(reply.body()).at("/predictions/0/label").asText())
        .isEqualTo("footwear");

    HttpResponse<byte[]> noJob =
        server.post(
            "/v1/jobs",
            form(boundary, null, files),
            Map.of("content-type", "multipart/form-data; boundary=" + boundary));
    assertThat(noJob.statusCode()).isEqualTo(400);
    assertThat(new String(noJob.body())).contains("needs a 'job' field");
  }

  @Test
  void trainsAtTheImagesOwnSizeWhenTheBaseAllows() throws Exception {
    HttpResponse<String> submitted =
        server.post(
            "/v1/jobs",
            request(
                "fashion-groups-36",
                800,
                60,
                ", \"strategy\": \"feature_extractor\", \"image_size\": [36, 36],"
                    + " \"hyperparameters\": {\"epochs\": 5}"));
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    JsonNode job = awaitFinal(JSON.readTree(submitted.body()).get("id").asText());
    assertThat(job.get("state").asText()).as(job.toString()).isEqualTo("SUCCEEDED");
    assertThat(Files.readString(server.repository().resolve("fashion-groups-36/model.yaml")))
        .contains("height: 36", "width: 36");
    HttpResponse<byte[]> reply =
        server.post(
            "/v1/models/fashion-groups-36:classify-image",
            png(5000),
            Map.of("content-type", "image/png"));
    assertThat(reply.statusCode()).isEqualTo(200);
    HttpResponse<String> tooSmall =
        server.post(
            "/v1/jobs",
            request(
                "fashion-groups-4",
                800,
                10,
                ", \"strategy\": \"feature_extractor\", \"image_size\": [4, 4]"));
    assertThat(tooSmall.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(tooSmall.body()).get("error").asText())
        .contains("the base model cannot take images of shape [1, 4, 4, 1]");
  }

  @Test
  void aJobThatFailsMidwayEndsFailedWithItsReasonAndPublishesNothing() throws Exception {
    try (TestServer tf2 =
        new TestServer()
            .withVersion("tf2", 1, io.tuneserve.testing.TestData.tfServingHalfPlusTwoTf2())
            .withFile(
                "tf2",
                "model.yaml",
                "features:\n  signature: serving_default\n  output: y\ninput_shape_check: none\n")
            .start()) {
      String body =
          "{\"base_model\": \"tf2\", \"target_model\": \"tf2-tuned\", \"strategy\": \"fine_tune\","
              + " \"instances\": [[1.0], [2.0], [3.0], [4.0]], \"labels\": [\"a\", \"b\", \"a\", \"b\"]}";
      HttpResponse<String> submitted = tf2.post("/v1/jobs", body);
      assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
      String id = JSON.readTree(submitted.body()).get("id").asText();
      long deadline = System.nanoTime() + 60_000_000_000L;
      JsonNode job = JSON.readTree(tf2.get("/v1/jobs/" + id).body());
      while (!job.get("state").asText().matches("SUCCEEDED|FAILED|CANCELLED")
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
        job = JSON.readTree(tf2.get("/v1/jobs/" + id).body());
      }
      assertThat(job.get("state").asText()).isEqualTo("FAILED");
      assertThat(job.get("error").asText()).contains("must be rank 2");
      assertThat(tf2.get("/v1/models/tf2-tuned").statusCode()).isEqualTo(404);
      assertThat(tf2.post("/v1/models/tf2:predict", "{\"instances\": [[1.0]]}").statusCode())
          .as("the base keeps serving")
          .isEqualTo(200);
    }
  }

  @Test
  void acceptsAZipArchiveOfLabelFolders() throws Exception {
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(archive)) {
      zip.putNextEntry(new java.util.zip.ZipEntry("job.json"));
      zip.write(
          ("{\"base_model\": \"fashion-convnet\", \"target_model\": \"footwear-zip\","
                  + " \"strategy\": \"feature_extractor\", \"hyperparameters\": {\"validation_fraction\": 0}}")
              .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      for (String file :
          List.of(
              "sandal.png", "sneaker.png", "ankle-boot.png", "bag.png", "dress.png", "coat.png")) {
        String label =
            List.of("sandal.png", "sneaker.png", "ankle-boot.png").contains(file)
                ? "footwear"
                : "other";
        zip.putNextEntry(new java.util.zip.ZipEntry(label + "/" + file));
        zip.write(io.tuneserve.testing.TestData.bytes("images/" + file));
      }
    }
    HttpResponse<byte[]> submitted =
        server.post("/v1/jobs", archive.toByteArray(), Map.of("content-type", "application/zip"));
    assertThat(submitted.statusCode()).as(new String(submitted.body())).isEqualTo(202);
    JsonNode queued = JSON.readTree(submitted.body());
    assertThat(queued.get("examples").asInt()).isEqualTo(6);
    assertThat(awaitFinal(queued.get("id").asText()).get("state").asText()).isEqualTo("SUCCEEDED");

    HttpResponse<byte[]> notZip =
        server.post(
            "/v1/jobs",
            "not a zip".getBytes(java.nio.charset.StandardCharsets.UTF_8),
            Map.of("content-type", "application/zip"));
    assertThat(notZip.statusCode()).isEqualTo(400);
  }

  @Test
  void unknownJobsAreNotFound() throws Exception {
    assertThat(server.get("/v1/jobs/nope").statusCode()).isEqualTo(404);
    assertThat(
            server.send(HttpRequest.newBuilder(server.uri("/v1/jobs/nope")).DELETE()).statusCode())
        .isEqualTo(404);
  }
}
