package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tuneserve.client.InferenceSocketClient;
import io.tuneserve.testing.TestData;
import io.tuneserve.testing.TestServer;
import io.vertx.core.Vertx;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** WebSocket inference over a real connection: text, binary, errors, closes and backpressure. */
class InferenceSocketTest {
  private static TestServer server;
  private static Vertx vertx;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    server =
        new TestServer()
            .withVersion("half_plus_two", 1, TestData.halfPlusTwo())
            .withDemoModel()
            .start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static InferenceSocketClient connect(TestServer target, String model) throws Exception {
    return InferenceSocketClient.connect(vertx, "127.0.0.1", target.port(), model, null)
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  private static String request(String id, double x) {
    return "{\"id\": \""
        + id
        + "\", \"inputs\": [{\"name\": \"x\", \"shape\": [1, 1], \"datatype\": \"FP32\", \"data\": ["
        + x
        + "]}]}";
  }

  @Test
  void manyRequestsOnOneConnectionGetTheirOwnReplies() throws Exception {
    try (InferenceSocketClient client = connect(server, "half_plus_two")) {
      List<CompletableFuture<InferenceSocketClient.Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        replies.add(client.infer(request("r" + i, i)));
      }
      Set<String> ids = new HashSet<>();
      for (int i = 0; i < 200; i++) {
        InferenceSocketClient.Reply reply = replies.get(i).get(30, TimeUnit.SECONDS);
        assertThat(reply.header().get("id").asText()).isEqualTo("r" + i);
        assertThat(reply.header().at("/outputs/0/data/0").asDouble()).isEqualTo(0.5 * i + 2);
        assertThat(reply.header().get("model_name").asText()).isEqualTo("half_plus_two");
        ids.add(reply.header().get("id").asText());
      }
      assertThat(ids).hasSize(200);
    }
  }

  @Test
  void binaryRequestsGetBinaryReplies() throws Exception {
    float[] image = OipApiTest.imagePixels("images/sneaker.png");
    ByteBuffer tensors = ByteBuffer.allocate(image.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float pixel : image) {
      tensors.putFloat(pixel);
    }
    String header =
        "{\"id\":\"img\",\"inputs\":[{\"name\":\"images\",\"shape\":[1,28,28,1],\"datatype\":\"FP32\","
            + "\"parameters\":{\"binary_data_size\":3136}}],\"outputs\":[{\"name\":\"probabilities\"}]}";
    try (InferenceSocketClient client = connect(server, "fashion-convnet")) {
      InferenceSocketClient.Reply reply =
          client.inferBinary(header, tensors.array()).get(30, TimeUnit.SECONDS);
      assertThat(reply.header().at("/outputs/0/parameters/binary_data_size").asInt()).isEqualTo(40);
      ByteBuffer scores = ByteBuffer.wrap(reply.tensors()).order(ByteOrder.LITTLE_ENDIAN);
      int best = 0;
      for (int i = 1; i < 10; i++) {
        if (scores.getFloat(i * 4) > scores.getFloat(best * 4)) {
          best = i;
        }
      }
      assertThat(best).as("class index of 'Sneaker'").isEqualTo(7);
    }
  }

  @Test
  void aBadRequestGetsAnErrorWithItsIdAndTheConnectionStaysOpen() throws Exception {
    try (InferenceSocketClient client = connect(server, "half_plus_two")) {
      String wrongType =
          "{\"id\": \"bad\", \"inputs\": [{\"name\": \"x\", \"shape\": [1, 1], \"datatype\": \"INT64\", \"data\": [1]}]}";
      assertThatThrownBy(() -> client.infer(wrongType).get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(InferenceSocketClient.InferenceError.class)
          .hasMessageContaining("has datatype INT64 but the model expects FP32")
          .matches(e -> ((InferenceSocketClient.InferenceError) e).status() == 400);
      assertThat(
              client
                  .infer(request("good", 4))
                  .get(10, TimeUnit.SECONDS)
                  .header()
                  .at("/outputs/0/data/0")
                  .asDouble())
          .isEqualTo(4.0);
    }
  }

  @Test
  void unreadableMessagesCloseTheConnectionWithACode() throws Exception {
    try (InferenceSocketClient client = connect(server, "half_plus_two")) {
      CompletableFuture<Short> closed = client.closed();
      client.sendRawText("{not json");
      assertThat(closed.get(10, TimeUnit.SECONDS)).isEqualTo((short) 1007);
    }
    try (InferenceSocketClient client = connect(server, "half_plus_two")) {
      CompletableFuture<Short> closed = client.closed();
      client.sendRawText("{\"inputs\": []}");
      assertThat(closed.get(10, TimeUnit.SECONDS)).as("no id").isEqualTo((short) 1008);
    }
    try (InferenceSocketClient client = connect(server, "half_plus_two")) {
      CompletableFuture<Short> closed = client.closed();
      byte[] lying = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(1000).array();
      client.sendRawBinary(lying);
      assertThat(closed.get(10, TimeUnit.SECONDS))
          .as("header length past the end")
          .isEqualTo((short) 1007);
    }
  }

  @Test
  void oversizedMessagesCloseTheConnection() throws Exception {
    try (TestServer small =
            new TestServer()
                .withVersion("half_plus_two", 1, TestData.halfPlusTwo())
                .set("http.max_body_bytes", 1024)
                .start();
        InferenceSocketClient client = connect(small, "half_plus_two")) {
      CompletableFuture<Short> closed = client.closed();
      client.sendRawText("{\"id\": \"big\", \"pad\": \"" + "x".repeat(1500) + "\"}");
      assertThat(closed.get(10, TimeUnit.SECONDS)).isEqualTo((short) 1009);
    }
  }

  @Test
  void unknownModelFailsTheUpgrade() {
    assertThatThrownBy(
            () -> connect(server, "nope").infer(request("a", 1)).get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class);
  }

  @Test
  void theServerStopsReadingAConnectionPastItsInFlightLimit() throws Exception {
    try (TestServer limited =
            new TestServer()
                .withVersion("half_plus_two", 1, TestData.halfPlusTwo())
                .set("http.websocket_max_in_flight", 2)
                .set("batching.max_queue_delay_ms", 100)
                .start();
        InferenceSocketClient client = connect(limited, "half_plus_two")) {
      List<CompletableFuture<InferenceSocketClient.Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        replies.add(client.infer(request("q" + i, i)));
      }
      for (CompletableFuture<InferenceSocketClient.Reply> reply : replies) {
        reply.get(30, TimeUnit.SECONDS);
      }
      String metrics = limited.get("/metrics").body();
      assertThat(value(metrics, "tuneserve_batch_size_sum\\{model=\"half_plus_two\"} (\\S+)"))
          .isEqualTo(10);
      assertThat(value(metrics, "tuneserve_batch_size_max\\{model=\"half_plus_two\"} (\\S+)"))
          .as("never more than two requests of the connection in one batch")
          .isLessThanOrEqualTo(2);
    }
  }

  private static double value(String metrics, String regex) {
    Matcher matcher = Pattern.compile(regex).matcher(metrics);
    assertThat(matcher.find()).as(regex).isTrue();
    return Double.parseDouble(matcher.group(1));
  }
}
