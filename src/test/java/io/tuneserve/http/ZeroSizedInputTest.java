package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.client.InferenceSocketClient;
import io.tuneserve.testing.TestData;
import io.tuneserve.testing.TestServer;
import io.vertx.core.Vertx;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A request with no values (a dimension of size 0) gets the same 400 on every inference API, alone
 * or while other requests are being batched.
 */
class ZeroSizedInputTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String INFER = "/v2/models/fashion-convnet/infer";
  private static final String NO_VALUES = "which holds no values";
  private static TestServer server;
  private static Vertx vertx;

  @BeforeAll
  static void start() throws Exception {
    server = new TestServer().withDemoModel().start();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static String oipJson(String shape) {
    return "{\"id\": \"empty\", \"inputs\": [{\"name\": \"images\", \"datatype\": \"FP32\", \"shape\": "
        + shape
        + ", \"data\": []}]}";
  }

  private static String oipBinaryHeader(String shape) {
    return "{\"id\": \"empty\", \"inputs\": [{\"name\": \"images\", \"datatype\": \"FP32\", \"shape\": "
        + shape
        + ", \"parameters\": {\"binary_data_size\": 0}}]}";
  }

  private static void assertRefused(HttpResponse<String> response) throws Exception {
    assertRefused(response.statusCode(), response.body());
  }

  private static void assertRefused(int status, String body) throws Exception {
    assertThat(status).as(body).isEqualTo(400);
    assertThat(JSON.readTree(body).get("error").asText()).contains(NO_VALUES);
  }

  private void sendEveryKind(InferenceSocketClient socket) throws Exception {
    for (String shape : List.of("[0, 28, 28, 1]", "[1, 0, 28, 1]", "[2, 28, 28, 0]")) {
      assertRefused(server.post(INFER, oipJson(shape)));
      byte[] header = oipBinaryHeader(shape).getBytes(StandardCharsets.UTF_8);
      HttpResponse<byte[]> binary =
          server.post(
              INFER,
              header,
              Map.of(
                  "Inference-Header-Content-Length",
                  Integer.toString(header.length),
                  "content-type",
                  "application/octet-stream"));
      assertRefused(binary.statusCode(), new String(binary.body(), StandardCharsets.UTF_8));
      assertThatThrownBy(() -> socket.infer(oipJson(shape)).get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .hasMessageContaining(NO_VALUES)
          .matches(e -> ((InferenceSocketClient.InferenceError) e).status() == 400);
      assertThatThrownBy(
              () ->
                  socket.inferBinary(oipBinaryHeader(shape), new byte[0]).get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .hasMessageContaining(NO_VALUES)
          .matches(e -> ((InferenceSocketClient.InferenceError) e).status() == 400);
    }
    assertRefused(server.post("/v1/models/fashion-convnet:predict", "{\"inputs\": []}"));
    assertRefused(
        server.post(
            "/v1/models/fashion-convnet:predict",
            "{\"inputs\": [[[[]]]], \"signature_name\": \"features\"}"));
    HttpResponse<String> noInstances =
        server.post("/v1/models/fashion-convnet:predict", "{\"instances\": []}");
    assertThat(noInstances.statusCode()).isEqualTo(400);
    assertThat(noInstances.body()).contains("'instances' must be a non-empty list");
  }

  @Test
  void zeroSizedInputsAreRefusedAloneAndUnderLoad() throws Exception {
    try (InferenceSocketClient socket =
        InferenceSocketClient.connect(vertx, "127.0.0.1", server.port(), "fashion-convnet", null)
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS)) {
      sendEveryKind(socket);
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger answered = new AtomicInteger();
      List<Thread> load = new ArrayList<>();
      String valid =
          "{\"inputs\": ["
              + TestData.uniformImageTensor(0.5f)
              + "], \"outputs\": [{\"name\": \"logits\"}]}";
      for (int i = 0; i < 4; i++) {
        Thread thread =
            new Thread(
                () -> {
                  while (running.get()) {
                    try {
                      if (server.post(INFER, valid).statusCode() == 200) {
                        answered.incrementAndGet();
                      }
                    } catch (Exception e) {
                      return;
                    }
                  }
                });
        thread.start();
        load.add(thread);
      }
      try {
        for (int round = 0; round < 10; round++) {
          sendEveryKind(socket);
        }
      } finally {
        running.set(false);
        for (Thread thread : load) {
          thread.join(10_000);
        }
      }
      assertThat(answered.get()).as("valid requests answered meanwhile").isPositive();
    }
  }
}
