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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Concurrent requests are run as shared batches, and each gets back its own rows. */
class DynamicBatchingTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void concurrentRequestsShareBatchesAndGetTheirOwnRows() throws Exception {
    Path exports = Files.createTempDirectory("tuneserve-exports");
    TestModels.exportScale(exports.resolve("v1"), 10f, 2);
    try (TestServer server =
        new TestServer()
            .withVersion("scale", 1, exports.resolve("v1"))
            .set("batching.max_queue_delay_ms", 50)
            .set("batching.max_batch_size", 64)
            .set("batching.threads", 1)
            .start()) {
      int clients = 16;
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<JsonNode>> replies = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        int id = c;
        replies.add(
            pool.submit(
                () -> {
                  start.await();
                  HttpResponse<String> response =
                      server.post(
                          "/v1/models/scale:predict",
                          "{\"instances\": [[" + id + ", " + (id + 0.5) + "], [" + -id + ", 1]]}");
                  assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                  return JSON.readTree(response.body());
                }));
      }
      start.countDown();
      for (int c = 0; c < clients; c++) {
        JsonNode predictions = replies.get(c).get(30, TimeUnit.SECONDS).get("predictions");
        assertThat(predictions).hasSize(2);
        assertThat(predictions.get(0).get(0).asDouble()).isEqualTo(10.0 * c);
        assertThat(predictions.get(0).get(1).asDouble()).isEqualTo(10.0 * (c + 0.5));
        assertThat(predictions.get(1).get(0).asDouble()).isEqualTo(-10.0 * c);
      }
      pool.shutdown();
      String metrics = server.get("/metrics").body();
      long batches = count(metrics, "tuneserve_batch_size_count\\{model=\"scale\"} (\\S+)");
      long rows = count(metrics, "tuneserve_batch_size_sum\\{model=\"scale\"} (\\S+)");
      assertThat(rows).isEqualTo(2L * clients);
      assertThat(batches).as("16 requests ran in fewer batches").isLessThan(clients);
    } finally {
      TestServer.deleteTree(exports);
    }
  }

  @Test
  void fullQueueAnswers429InsteadOfGrowing() throws Exception {
    Path exports = Files.createTempDirectory("tuneserve-exports");
    TestModels.exportScale(exports.resolve("v1"), 1f, 2);
    try (TestServer server =
        new TestServer()
            .withVersion("scale", 1, exports.resolve("v1"))
            .set("batching.max_queue_delay_ms", 2000)
            .set("batching.max_batch_size", 1000)
            .set("batching.max_queued_requests", 2)
            .start()) {
      ExecutorService pool = Executors.newFixedThreadPool(6);
      List<Future<Integer>> codes = new ArrayList<>();
      for (int c = 0; c < 6; c++) {
        codes.add(
            pool.submit(
                () ->
                    server
                        .post("/v1/models/scale:predict", "{\"instances\": [[1, 2]]}")
                        .statusCode()));
      }
      List<Integer> statuses = new ArrayList<>();
      for (Future<Integer> code : codes) {
        statuses.add(code.get(30, TimeUnit.SECONDS));
      }
      pool.shutdown();
      assertThat(statuses).filteredOn(s -> s == 200).hasSize(2);
      assertThat(statuses).filteredOn(s -> s == 429).hasSize(4);
    } finally {
      TestServer.deleteTree(exports);
    }
  }

  private static long count(String metrics, String regex) {
    Matcher matcher = Pattern.compile(regex).matcher(metrics);
    assertThat(matcher.find()).as(regex).isTrue();
    return (long) Double.parseDouble(matcher.group(1));
  }
}
