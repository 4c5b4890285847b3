package io.tuneserve.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.testing.TestServer;
import io.tuneserve.tf.TestModels;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A new version dropped into the repository replaces the old one while clients keep sending
 * requests, and none of them fails.
 */
class VersionSwapTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void newVersionReplacesOldWithoutFailedRequests() throws Exception {
    Path exports = Files.createTempDirectory("tuneserve-exports");
    TestModels.exportScale(exports.resolve("v1"), 1f, 3);
    TestModels.exportScale(exports.resolve("v2"), 2f, 3);
    try (TestServer server =
        new TestServer()
            .withVersion("scale", 1, exports.resolve("v1"))
            .set("models.poll_interval_seconds", 0.2)
            .start()) {
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger requests = new AtomicInteger();
      List<String> failures = new ArrayList<>();
      ConcurrentHashMap<Double, Integer> answers = new ConcurrentHashMap<>();
      ExecutorService clients = Executors.newFixedThreadPool(8);
      List<Future<?>> loops = new ArrayList<>();
      for (int c = 0; c < 8; c++) {
        loops.add(
            clients.submit(
                () -> {
                  while (running.get()) {
                    try {
                      HttpResponse<String> response =
                          server.post(
                              "/v1/models/scale:predict", "{\"instances\": [[1.0, 1.0, 1.0]]}");
                      requests.incrementAndGet();
                      if (response.statusCode() != 200) {
                        synchronized (failures) {
                          failures.add(response.statusCode() + " " + response.body());
                        }
                      } else {
                        JsonNode reply = JSON.readTree(response.body());
                        answers.merge(reply.at("/predictions/0/0").asDouble(), 1, Integer::sum);
                      }
                    } catch (Exception e) {
                      synchronized (failures) {
                        failures.add(e.toString());
                      }
                    }
                  }
                }));
      }
      Thread.sleep(500);
      Path staging = server.repository().resolve(".staging-2");
      TestServer.copyTree(exports.resolve("v2"), staging);
      Files.move(staging, server.repository().resolve("scale").resolve("2"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!answers.containsKey(2.0) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      Thread.sleep(500);
      running.set(false);
      for (Future<?> loop : loops) {
        loop.get(30, TimeUnit.SECONDS);
      }
      clients.shutdown();

      assertThat(failures).isEmpty();
      assertThat(answers.keySet()).containsExactlyInAnyOrder(1.0, 2.0);
      assertThat(requests.get()).isGreaterThan(100);
      JsonNode status = JSON.readTree(server.get("/v1/models/scale").body());
      assertThat(status.get("model_version_status")).hasSize(1);
      assertThat(status.at("/model_version_status/0/version").asText()).isEqualTo("2");
      assertThat(server.get("/v1/models/scale/versions/1").statusCode()).isEqualTo(404);
    } finally {
      TestServer.deleteTree(exports);
    }
  }

  @Test
  void brokenNewVersionNeverReplacesAWorkingOne() throws Exception {
    Path exports = Files.createTempDirectory("tuneserve-exports");
    TestModels.exportScale(exports.resolve("v1"), 3f, 3);
    try (TestServer server =
        new TestServer().withVersion("scale", 1, exports.resolve("v1")).start()) {
      Path broken = server.repository().resolve("scale").resolve("2");
      Files.createDirectories(broken.resolve("variables"));
      Files.writeString(broken.resolve("saved_model.pb"), "not a protobuf");
      HttpResponse<String> rescan = server.post("/v2/repository/rescan", "");
      assertThat(rescan.statusCode()).isEqualTo(200);
      JsonNode index = JSON.readTree(rescan.body());
      assertThat(index.toString()).contains("\"version\":\"2\",\"state\":\"FAILED\"");
      HttpResponse<String> predict =
          server.post("/v1/models/scale:predict", "{\"instances\": [[1.0, 1.0, 1.0]]}");
      assertThat(predict.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(predict.body()).at("/predictions/0/0").asDouble()).isEqualTo(3.0);
    } finally {
      TestServer.deleteTree(exports);
    }
  }
}
