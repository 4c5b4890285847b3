package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.testing.FashionPngs;
import io.tuneserve.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stored datasets over real HTTP: created from a zip of label folders, grown by JSON lines and a
 * multipart form, each change a new version; bad uploads refused with the example named and the
 * dataset left as it was; a fine-tuning job that trains from a dataset and records which version.
 */
class DatasetsApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] GROUP = {
    "top", "other", "top", "other", "top", "footwear", "top", "footwear", "other", "footwear"
  };
  private static final long UPLOAD_LIMIT = 2_000_000;
  private static TestServer server;
  private static FashionPngs pngs;

  @BeforeAll
  static void start() throws Exception {
    pngs = new FashionPngs();
    server =
        new TestServer().withDemoModel().set("datasets.max_upload_bytes", UPLOAD_LIMIT).start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static String group(int index) {
    return GROUP[pngs.label(index)];
  }

  /** Images {@code from .. from + count - 1} in label folders under a top folder, as zip makes. */
  private static byte[] zip(int from, int count) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      zip.putNextEntry(new ZipEntry("photos/"));
      zip.putNextEntry(new ZipEntry("photos/.DS_Store"));
      zip.write(new byte[] {1, 2, 3});
      for (int i = from; i < from + count; i++) {
        zip.putNextEntry(new ZipEntry("photos/" + group(i) + "/" + i + ".png"));
        zip.write(pngs.png(i));
      }
    }
    return bytes.toByteArray();
  }

  private static String jsonLines(int from, int count) {
    StringBuilder lines = new StringBuilder();
    for (int i = from; i < from + count; i++) {
      lines
          .append("{\"label\": \"")
          .append(group(i))
          .append("\", \"b64\": \"")
          .append(Base64.getEncoder().encodeToString(pngs.png(i)))
          .append("\"}\n");
    }
    return lines.toString();
  }

  private static byte[] form(String boundary, int from, int count) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = from; i < from + count; i++) {
      out.write(
          ("--"
                  + boundary
                  + "\r\nContent-Disposition: form-data; name=\""
                  + group(i)
                  + "\"; filename=\""
                  + i
                  + ".png\"\r\nContent-Type: image/png\r\n\r\n")
              .getBytes(StandardCharsets.UTF_8));
      out.write(pngs.png(i));
      out.write("\r\n".getBytes(StandardCharsets.UTF_8));
    }
    out.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  private static HttpResponse<String> upload(
      String method, String path, byte[] body, String contentType) throws Exception {
    return server.send(
        HttpRequest.newBuilder(server.uri(path))
            .method(method, HttpRequest.BodyPublishers.ofByteArray(body))
            .header("content-type", contentType));
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return JSON.readTree(response.body());
  }

  private static JsonNode dataset(String name) throws Exception {
    HttpResponse<String> response = server.get("/v1/datasets/" + name);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return json(response);
  }

  @Test
  void growsInVersionsFromEveryFormatAndTrainsAJob() throws Exception {
    HttpResponse<String> created =
        upload("PUT", "/v1/datasets/fashion-groups", zip(0, 60), "application/zip");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode first = json(created);
    assertThat(first.get("version").asLong()).isEqualTo(1);
    assertThat(first.get("examples").asLong()).isEqualTo(60);
    long tops = Stream.iterate(0, i -> i + 1).limit(60).filter(i -> group(i).equals("top")).count();
    assertThat(first.at("/labels/top").asLong()).isEqualTo(tops);
    assertThat(first.get("labels").size()).isEqualTo(3);
    assertThat(first.get("sha256").asText()).hasSize(64);

    HttpResponse<String> appended =
        upload(
            "POST",
            "/v1/datasets/fashion-groups/examples",
            jsonLines(60, 30).getBytes(StandardCharsets.UTF_8),
            "application/x-ndjson");
    assertThat(appended.statusCode()).as(appended.body()).isEqualTo(201);
    assertThat(json(appended).get("version").asLong()).isEqualTo(2);
    assertThat(json(appended).get("examples").asLong()).isEqualTo(90);
    assertThat(json(appended).get("sha256").asText()).isNotEqualTo(first.get("sha256").asText());

    HttpResponse<String> formed =
        upload(
            "POST",
            "/v1/datasets/fashion-groups/examples",
            form("b0undary", 90, 6),
            "multipart/form-data; boundary=b0undary");
    assertThat(formed.statusCode()).as(formed.body()).isEqualTo(201);
    JsonNode third = json(formed);
    assertThat(third.get("examples").asLong()).isEqualTo(96);

    JsonNode described = dataset("fashion-groups");
    assertThat(described.get("versions").toString()).isEqualTo("[1,2,3]");
    assertThat(described.get("created_at").asText()).isEqualTo(first.get("created_at").asText());
    JsonNode versionOne = json(server.get("/v1/datasets/fashion-groups/versions/1"));
    assertThat(versionOne.get("examples").asLong()).as("a version never changes").isEqualTo(60);
    assertThat(versionOne.get("sha256").asText()).isEqualTo(first.get("sha256").asText());
    assertThat(server.get("/v1/datasets").body()).contains("\"name\":\"fashion-groups\"");

    HttpResponse<String> submitted =
        server.post(
            "/v1/jobs",
            "{\"base_model\": \"fashion-convnet\", \"target_model\": \"groups-from-dataset\","
                + " \"dataset\": \"fashion-groups\", \"strategy\": \"feature_extractor\","
                + " \"hyperparameters\": {\"epochs\": 6, \"seed\": 2}}");
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    assertThat(json(submitted).get("examples").asInt()).isEqualTo(96);
    JsonNode job = server.client().awaitJob(json(submitted).get("id").asText());
    assertThat(job.get("state").asText()).as(job.toString()).isEqualTo("SUCCEEDED");
    JsonNode lineage = json(server.get("/v2/models/groups-from-dataset")).at("/parameters/lineage");
    assertThat(lineage.get("dataset").asText()).isEqualTo("fashion-groups");
    assertThat(lineage.get("dataset_version").asLong()).isEqualTo(3);
    assertThat(lineage.get("dataset_sha256").asText()).isEqualTo(third.get("sha256").asText());
    HttpResponse<byte[]> classified =
        server.post(
            "/v1/models/groups-from-dataset:classify-image?top_k=1",
            pngs.png(5000),
            Map.of("content-type", "image/png"));
    assertThat(classified.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(classified.body()).at("/predictions/0/label").asText())
        .isIn("top", "other", "footwear");

    HttpResponse<String> older =
        server.post(
            "/v1/jobs",
            "{\"base_model\": \"fashion-convnet\", \"target_model\": \"groups-v9\","
                + " \"dataset\": \"fashion-groups\", \"dataset_version\": 9}");
    assertThat(older.statusCode()).isEqualTo(404);
    assertThat(json(older).get("error").asText()).contains("has no version 9");
  }

  @Test
  void validatesAndTestsOnDatasetsOfTheirOwn() throws Exception {
    for (String[] set :
        new String[][] {{"train", "0", "90"}, {"val", "200", "45"}, {"test", "300", "40"}}) {
      HttpResponse<String> created =
          upload(
              "PUT",
              "/v1/datasets/groups-" + set[0],
              zip(Integer.parseInt(set[1]), Integer.parseInt(set[2])),
              "application/zip");
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }
    HttpResponse<String> submitted =
        server.post(
            "/v1/jobs",
            "{\"base_model\": \"fashion-convnet\", \"target_model\": \"groups-tested\","
                + " \"dataset\": \"groups-train\", \"validation_dataset\": \"groups-val\","
                + " \"test_dataset\": \"groups-test\", \"test_dataset_version\": 1,"
                + " \"strategy\": \"feature_extractor\", \"hyperparameters\": {\"epochs\": 5}}");
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    JsonNode job = server.client().awaitJob(json(submitted).get("id").asText());
    assertThat(job.get("state").asText()).as(job.toString()).isEqualTo("SUCCEEDED");
    JsonNode evaluations = job.at("/result/evaluations");
    assertThat(evaluations.size()).as(evaluations.toString()).isEqualTo(2);
    JsonNode validation = evaluations.get(0);
    JsonNode test = evaluations.get(1);
    assertThat(validation.get("split").asText()).isEqualTo("validation");
    assertThat(validation.get("examples").asInt())
        .as("the whole validation dataset, none of the training set held out")
        .isEqualTo(45);
    assertThat(job.at("/result/validation_accuracy").asDouble())
        .isEqualTo(validation.get("accuracy").asDouble());
    assertThat(test.get("split").asText()).isEqualTo("test");
    assertThat(test.get("examples").asInt()).isEqualTo(40);

    int correct = 0;
    for (int i = 300; i < 340; i++) {
      HttpResponse<byte[]> classified =
          server.post(
              "/v1/models/groups-tested:classify-image?top_k=1",
              pngs.png(i),
              Map.of("content-type", "image/png"));
      assertThat(classified.statusCode()).isEqualTo(200);
      if (JSON.readTree(classified.body()).at("/predictions/0/label").asText().equals(group(i))) {
        correct++;
      }
    }
    assertThat(test.get("accuracy").asDouble())
        .as("the test report is what the published version answers for those images")
        .isCloseTo(correct / 40.0, within(1.01 / 40));

    JsonNode lineage = json(server.get("/v2/models/groups-tested")).at("/parameters/lineage");
    assertThat(lineage.at("/validation_data/dataset").asText()).isEqualTo("groups-val");
    assertThat(lineage.at("/validation_data/examples").asInt()).isEqualTo(45);
    assertThat(lineage.at("/test_data/dataset_version").asLong()).isEqualTo(1);
    assertThat(lineage.at("/test_data/dataset_sha256").asText())
        .isEqualTo(dataset("groups-test").get("sha256").asText());
    assertThat(json(server.get("/v2/models/groups-tested/evaluation")).get("evaluations").size())
        .isEqualTo(2);

    HttpResponse<String> evaluated =
        server.post("/v2/models/groups-tested/evaluate", "{\"dataset\": \"groups-test\"}");
    assertThat(evaluated.statusCode()).as(evaluated.body()).isEqualTo(200);
    JsonNode report = json(evaluated);
    assertThat(report.get("version").asText()).isEqualTo("1");
    assertThat(report.get("dataset_version").asLong()).isEqualTo(1);
    assertThat(report.get("examples").asInt()).isEqualTo(40);
    assertThat(report.get("accuracy").asDouble())
        .as("the same images through the same serving path as :classify-image")
        .isEqualTo(correct / 40.0);
    int counted = 0;
    for (JsonNode row : report.get("confusion_matrix")) {
      for (JsonNode count : row) {
        counted += count.asInt();
      }
    }
    assertThat(counted).isEqualTo(40);
    HttpResponse<String> onTraining =
        server.post(
            "/v2/models/groups-tested/versions/1/evaluate",
            "{\"dataset\": \"groups-train\", \"dataset_version\": 1}");
    assertThat(onTraining.statusCode()).as(onTraining.body()).isEqualTo(200);
    assertThat(json(onTraining).get("examples").asInt()).isEqualTo(90);

    String odd =
        jsonLines(200, 4)
            + "{\"label\": \"hat\", \"b64\": \""
            + Base64.getEncoder().encodeToString(pngs.png(7))
            + "\"}\n";
    assertThat(
            upload(
                    "PUT",
                    "/v1/datasets/groups-odd",
                    odd.getBytes(StandardCharsets.UTF_8),
                    "application/x-ndjson")
                .statusCode())
        .isEqualTo(201);
    assertRefused(
        server.post(
            "/v1/jobs",
            "{\"base_model\": \"fashion-convnet\", \"target_model\": \"groups-odd\","
                + " \"dataset\": \"groups-train\", \"validation_dataset\": \"groups-odd\"}"),
        400,
        "validation_dataset groups-odd has examples of class 'hat'");
    assertRefused(
        server.post(
            "/v1/jobs",
            "{\"base_model\": \"fashion-convnet\", \"target_model\": \"groups-odd\","
                + " \"dataset\": \"groups-train\", \"test_dataset\": \"groups-none\"}"),
        404,
        "no dataset groups-none");
    assertRefused(
        server.post(
            "/v1/jobs",
            "{\"base_model\": \"fashion-convnet\", \"target_model\": \"groups-odd\","
                + " \"dataset\": \"groups-train\", \"test_dataset\": 3}"),
        400,
        "'test_dataset' must name a stored dataset");
    assertRefused(
        server.post("/v2/models/groups-tested/evaluate", "{\"dataset\": \"groups-odd\"}"),
        400,
        "dataset groups-odd has examples of class 'hat', which model groups-tested does not");
    assertRefused(
        server.post("/v2/models/groups-tested/evaluate", "{\"dataset\": \"groups-none\"}"),
        404,
        "no dataset groups-none");
    assertRefused(
        server.post(
            "/v2/models/groups-tested/evaluate",
            "{\"dataset\": \"groups-test\", \"dataset_version\": 0}"),
        400,
        "'dataset_version' must be a positive integer");
    assertRefused(server.post("/v2/models/groups-tested/evaluate", "{}"), 400, "'dataset'");
    assertThat(
            server
                .post("/v2/models/no-such-model/evaluate", "{\"dataset\": \"groups-test\"}")
                .statusCode())
        .isEqualTo(404);
  }

  @Test
  void refusesBadUploadsAndLeavesTheDatasetAsItWas() throws Exception {
    assertThat(upload("PUT", "/v1/datasets/kept", zip(100, 20), "application/zip").statusCode())
        .isEqualTo(201);
    String before = dataset("kept").toString();

    ByteArrayOutputStream broken = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(broken)) {
      zip.putNextEntry(new ZipEntry("top/good.png"));
      zip.write(pngs.png(0));
      zip.putNextEntry(new ZipEntry("other/broken.png"));
      zip.write("not an image".getBytes(StandardCharsets.UTF_8));
    }
    assertRefused(
        upload("POST", "/v1/datasets/kept/examples", broken.toByteArray(), "application/zip"),
        400,
        "'other/broken.png'");
    String lines = jsonLines(0, 2) + "{\"label\": \"top\", \"b64\": \"@@@\"}\n";
    assertRefused(
        upload(
            "POST",
            "/v1/datasets/kept/examples",
            lines.getBytes(StandardCharsets.UTF_8),
            "application/x-ndjson"),
        400,
        "line 3");
    assertRefused(
        upload(
            "POST",
            "/v1/datasets/kept/examples",
            "{\"b64\": \"\"}\n".getBytes(StandardCharsets.UTF_8),
            "application/x-ndjson"),
        400,
        "line 1 needs a \"label\"");
    assertRefused(
        upload(
            "POST",
            "/v1/datasets/kept/examples",
            "x".getBytes(StandardCharsets.UTF_8),
            "text/plain"),
        400,
        "application/zip");
    assertRefused(upload("POST", "/v1/datasets/kept", zip(0, 5), "application/zip"), 409, "exists");
    assertRefused(
        upload("POST", "/v1/datasets/missing/examples", zip(0, 5), "application/zip"),
        404,
        "no dataset missing");
    byte[] oneLabel = jsonLines(0, 1).getBytes(StandardCharsets.UTF_8);
    assertRefused(
        upload("PUT", "/v1/datasets/single", oneLabel, "application/x-ndjson"),
        400,
        "at least two labels");
    byte[] flat = zipOf("flat.png", pngs.png(0));
    assertRefused(
        upload("PUT", "/v1/datasets/flat", flat, "application/zip"), 400, "not in a folder");
    assertRefused(
        upload("PUT", "/v1/datasets/big", new byte[(int) UPLOAD_LIMIT + 1], "application/zip"),
        413,
        "max_upload_bytes");
    assertRefused(
        upload("PUT", "/v1/datasets/bad%20name", zip(0, 5), "application/zip"),
        400,
        "dataset name");

    for (int sent : new int[] {2000, 0}) {
      try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
        OutputStream out = socket.getOutputStream();
        out.write(
            """
            POST /v1/datasets/kept/examples HTTP/1.1\r
            Host: 127.0.0.1\r
            Content-Type: application/zip\r
            Content-Length: 100000\r
            \r
            """
                .getBytes(StandardCharsets.US_ASCII));
        out.write(zip(0, 10), 0, sent);
        out.flush();
      }
    }
    Path staging = server.datasets().resolve(".staging");
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (stagedFiles(staging) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(stagedFiles(staging)).as("the cut-off uploads' staging files").isZero();
    assertThat(dataset("kept").toString()).isEqualTo(before);
    assertThat(server.get("/v1/datasets/single").statusCode()).isEqualTo(404);

    HttpResponse<String> deleted =
        server.send(HttpRequest.newBuilder(server.uri("/v1/datasets/kept")).DELETE());
    assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
    assertThat(server.get("/v1/datasets/kept").statusCode()).isEqualTo(404);
    HttpResponse<String> job =
        server.post(
            "/v1/jobs",
            "{\"base_model\": \"fashion-convnet\", \"target_model\": \"from-deleted\","
                + " \"dataset\": \"kept\"}");
    assertRefused(job, 404, "no dataset kept");
  }

  private static byte[] zipOf(String name, byte[] content) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      zip.putNextEntry(new ZipEntry(name));
      zip.write(content);
    }
    return bytes.toByteArray();
  }

  private static long stagedFiles(Path staging) throws Exception {
    if (!Files.isDirectory(staging)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(staging)) {
      return files.count();
    }
  }

  private static void assertRefused(HttpResponse<String> response, int status, String message)
      throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(json(response).get("error").asText()).contains(message);
  }
}
