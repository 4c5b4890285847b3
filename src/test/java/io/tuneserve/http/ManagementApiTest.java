package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.testing.TestData;
import io.tuneserve.testing.TestServer;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** Listing, unloading, loading and re-scanning models through the repository API. */
class ManagementApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void unloadsAndLoadsAModel() throws Exception {
    try (TestServer server =
        new TestServer()
            .withVersion("half_plus_two", 1, TestData.halfPlusTwo())
            .withVersion("broken", 1, TestData.brokenSavedModel())
            .start()) {
      JsonNode index = JSON.readTree(server.post("/v2/repository/index", "").body());
      assertThat(index.toString())
          .contains(
              "{\"name\":\"half_plus_two\",\"version\":\"1\",\"state\":\"AVAILABLE\",\"reason\":\"\",")
          .contains("\"name\":\"broken\",\"version\":\"1\",\"state\":\"FAILED\"");
      JsonNode available = index.findParent("max_batch_size");
      assertThat(available.get("name").asText()).isEqualTo("half_plus_two");
      assertThat(available.get("max_batch_size").asInt())
          .as("the configured largest batch, or the warm-up's cap below it")
          .isBetween(1, 128);

      HttpResponse<String> unload = server.post("/v2/repository/models/half_plus_two/unload", "");
      assertThat(unload.statusCode()).isEqualTo(200);
      assertThat(unload.body())
          .contains("\"name\":\"half_plus_two\",\"state\":\"UNAVAILABLE\",\"reason\":\"unloaded\"");
      HttpResponse<String> predict =
          server.post("/v1/models/half_plus_two:predict", "{\"instances\": [[1.0]]}");
      assertThat(predict.statusCode()).isEqualTo(503);
      server.post("/v2/repository/rescan", "");
      assertThat(
              server
                  .post("/v1/models/half_plus_two:predict", "{\"instances\": [[1.0]]}")
                  .statusCode())
          .as("a re-scan does not reload a model unloaded on purpose")
          .isEqualTo(503);

      HttpResponse<String> load = server.post("/v2/repository/models/half_plus_two/load", "");
      assertThat(load.statusCode()).isEqualTo(200);
      assertThat(
              server
                  .post("/v1/models/half_plus_two:predict", "{\"instances\": [[1.0]]}")
                  .statusCode())
          .isEqualTo(200);

      assertThat(server.post("/v2/repository/models/nope/load", "").statusCode()).isEqualTo(404);
      assertThat(server.post("/v2/repository/models/nope/unload", "").statusCode()).isEqualTo(404);
      assertThat(server.post("/v2/repository/models/..%2F..%2Fetc/load", "").statusCode())
          .isBetween(400, 404);
    }
  }

  @Test
  void metricsCountRequestsBatchesAndModels() throws Exception {
    try (TestServer server =
        new TestServer().withVersion("half_plus_two", 1, TestData.halfPlusTwo()).start()) {
      for (int i = 0; i < 3; i++) {
        server.post("/v1/models/half_plus_two:predict", "{\"instances\": [[1.0], [2.0]]}");
      }
      server.post("/v1/models/half_plus_two:predict", "{\"instances\": [\"x\"]}");
      server.post("/v2/models/half_plus_two/infer", "{\"inputs\": []}");
      HttpResponse<String> metrics = server.get("/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("content-type").orElseThrow())
          .startsWith("text/plain");
      assertThat(metrics.body())
          .contains(
              "tuneserve_requests_total{api=\"tfserving\",model=\"half_plus_two\",status=\"200\",version=\"\"} 3.0",
              "tuneserve_requests_total{api=\"tfserving\",model=\"half_plus_two\",status=\"400\",version=\"\"} 1.0",
              "tuneserve_requests_total{api=\"oip\",model=\"half_plus_two\",status=\"400\",version=\"\"} 1.0",
              "tuneserve_batch_size_sum{model=\"half_plus_two\"}",
              "tuneserve_compute_seconds_count{model=\"half_plus_two\"}",
              "tuneserve_queue_wait_seconds_bucket",
              "tuneserve_request_duration_seconds_bucket",
              "tuneserve_model_versions_available 1.0",
              "jvm_memory_used_bytes")
          .as("tuneserve_requests covers what Vert.x's per-request meters would repeat")
          .doesNotContain("vertx_http_server_requests");
    }
  }
}
