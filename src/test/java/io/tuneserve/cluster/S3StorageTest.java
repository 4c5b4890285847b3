package io.tuneserve.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.testing.FashionPngs;
import io.tuneserve.testing.NodeClient;
import io.tuneserve.testing.NodeProcess;
import io.tuneserve.testing.S3Server;
import io.tuneserve.testing.TestCluster;
import io.tuneserve.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Datasets and checkpoints in an S3 bucket (a real S3 server on loopback): nothing of either kept
 * on the node or in Hazelcast, and in a cluster of three a dataset uploaded to one node trains a
 * job on another, whose version the third loads from the bucket.
 */
class S3StorageTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] GROUP = {
    "top", "other", "top", "other", "top", "footwear", "top", "footwear", "other", "footwear"
  };
  private static S3Server s3;
  private static FashionPngs pngs;

  @BeforeAll
  static void start() throws Exception {
    s3 = new S3Server();
    pngs = new FashionPngs();
  }

  @AfterAll
  static void stop() throws Exception {
    s3.close();
  }

  /** Images {@code from .. from + count - 1} in folders named by their group. */
  private static byte[] zip(int from, int count) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (int i = from; i < from + count; i++) {
        zip.putNextEntry(new ZipEntry(GROUP[pngs.label(i)] + "/" + i + ".png"));
        zip.write(pngs.png(i));
      }
    }
    return bytes.toByteArray();
  }

  private static Map<String, Object> storedInS3(String prefix) {
    Map<String, Object> settings = new HashMap<>(s3.settings(prefix));
    settings.put("datasets.store", "s3");
    settings.put("registry.checkpoint_store", "s3");
    settings.put("registry.inline_max_bytes", 0);
    return settings;
  }

  private static String job(String target, String dataset) {
    return "{\"base_model\": \"fashion-convnet\", \"target_model\": \""
        + target
        + "\", \"dataset\": \""
        + dataset
        + "\", \"strategy\": \"fine_tune\", \"hyperparameters\": {\"epochs\": 2, \"seed\": 3}}";
  }

  private static long localFiles(Path directory) throws Exception {
    try (Stream<Path> files = Files.walk(directory)) {
      return files
          .filter(Files::isRegularFile)
          .filter(f -> !directory.relativize(f).toString().startsWith(".cache"))
          .count();
    }
  }

  @Test
  void oneNodeKeepsItsDatasetsAndVersionsInTheBucket() throws Exception {
    TestServer server = new TestServer().withDemoModel();
    storedInS3("single/").forEach(server::set);
    try (TestServer started = server.start()) {
      HttpResponse<String> created =
          started.send(
              HttpRequest.newBuilder(started.uri("/v1/datasets/groups"))
                  .PUT(HttpRequest.BodyPublishers.ofByteArray(zip(0, 60)))
                  .header("content-type", "application/zip"));
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      assertThat(s3.objects("single/datasets/groups/")).as("a segment and a version").isEqualTo(2);
      assertThat(localFiles(started.datasets())).as("nothing of it kept on the node").isZero();
      assertThat(JSON.readTree(started.get("/v1/datasets/groups").body()).get("examples").asInt())
          .isEqualTo(60);

      HttpResponse<String> submitted = started.post("/v1/jobs", job("groups-s3", "groups"));
      assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
      JsonNode done = started.client().awaitJob(JSON.readTree(submitted.body()).get("id").asText());
      assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
      JsonNode version =
          JSON.readTree(started.get("/v2/registry/models/groups-s3").body()).at("/versions/0");
      assertThat(version.get("store").asText()).as(version.toString()).isEqualTo("s3");
      assertThat(s3.objects("single/checkpoints/groups-s3/")).isPositive();

      HttpResponse<String> deleted =
          started.send(HttpRequest.newBuilder(started.uri("/v1/datasets/groups")).DELETE());
      assertThat(deleted.statusCode()).isEqualTo(200);
      assertThat(s3.objects("single/datasets/")).isZero();
      assertThat(started.get("/v1/datasets/groups").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void aDatasetUploadedToOneNodeTrainsOnAnotherAndServesFromTheThird() throws Exception {
    List<NodeProcess> nodes = TestCluster.of(3).startNodes(1, storedInS3("cluster/"));
    try {
      NodeClient a = nodes.get(0).client();
      NodeClient b = nodes.get(1).client();
      NodeClient c = nodes.get(2).client();
      awaitServing(b, "fashion-convnet");

      HttpResponse<String> created =
          a.send(
              HttpRequest.newBuilder(a.uri("/v1/datasets/shared-groups"))
                  .PUT(HttpRequest.BodyPublishers.ofByteArray(zip(100, 60)))
                  .header("content-type", "application/zip"));
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      assertThat(JSON.readTree(c.get("/v1/datasets").body()).toString())
          .as("every node lists it")
          .contains("shared-groups");

      HttpResponse<String> submitted =
          b.post("/v1/jobs", job("groups-everywhere", "shared-groups"));
      assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
      JsonNode done = b.awaitJob(JSON.readTree(submitted.body()).get("id").asText());
      assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("SUCCEEDED");

      awaitServing(c, "groups-everywhere");
      HttpResponse<byte[]> classified =
          c.post(
              "/v1/models/groups-everywhere:classify-image?top_k=1",
              pngs.png(5000),
              Map.of("content-type", "image/png"));
      assertThat(classified.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(classified.body()).at("/predictions/0/label").asText())
          .isIn("top", "other", "footwear");
      JsonNode version =
          JSON.readTree(c.get("/v2/registry/models/groups-everywhere").body()).at("/versions/0");
      assertThat(version.get("store").asText()).isEqualTo("s3");
      JsonNode lineage =
          JSON.readTree(c.get("/v2/models/groups-everywhere").body()).at("/parameters/lineage");
      assertThat(lineage.get("dataset").asText()).isEqualTo("shared-groups");
    } finally {
      for (NodeProcess node : nodes) {
        node.close();
      }
    }
  }

  private static void awaitServing(NodeClient node, String model) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (node.get("/v2/models/" + model + "/ready").statusCode() == 200) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(model + " never became ready on " + node);
  }
}
