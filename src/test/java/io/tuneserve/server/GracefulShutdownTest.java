package io.tuneserve.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tuneserve.testing.NodeProcess;
import io.tuneserve.testing.TestCluster;
import io.tuneserve.testing.TestData;
import io.tuneserve.testing.TestServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM to a node (a JVM of its own) under load: readiness turns 503, the requests in flight are
 * answered, and the process exits. Load clients behave as a load balancer does: they send no new
 * request once readiness says 503; a connection refused after that is a request never sent.
 */
class GracefulShutdownTest {
  private static final int CLIENTS = 8;

  @Test
  void sigtermUnderLoadFailsNoRequestInFlight() throws Exception {
    Path models = Files.createTempDirectory("tuneserve-drain");
    TestServer.copyTree(TestData.fashionConvnet(), models.resolve("fashion-convnet/1"));
    Files.copy(TestData.fashionConvnetSettings(), models.resolve("fashion-convnet/model.yaml"));
    Map<String, Object> settings = new java.util.HashMap<>(TestCluster.of(1).member(0));
    // The default: readiness says 503 for a second before the server stops accepting.
    settings.put("http.drain_delay_seconds", 1);
    settings.put("http.drain_seconds", 10);
    NodeProcess node = NodeProcess.start(models, settings);
    ExecutorService load = Executors.newFixedThreadPool(CLIENTS);
    try {
      node.awaitReady(Duration.ofSeconds(60));
      String image = TestData.uniformImage(0.5f);
      String body = "{\"instances\": [" + image + "," + image + "]}";
      AtomicBoolean stopSending = new AtomicBoolean();
      AtomicInteger answered = new AtomicInteger();
      Map<String, Integer> failures = new ConcurrentHashMap<>();
      List<Future<?>> clients = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        clients.add(
            load.submit(
                () -> {
                  HttpClient http = HttpClient.newHttpClient();
                  while (!stopSending.get()) {
                    try {
                      HttpResponse<String> response =
                          http.send(
                              HttpRequest.newBuilder(
                                      node.client().uri("/v1/models/fashion-convnet:predict"))
                                  .timeout(Duration.ofSeconds(20))
                                  .POST(HttpRequest.BodyPublishers.ofString(body))
                                  .build(),
                              HttpResponse.BodyHandlers.ofString());
                      if (response.statusCode() == 200) {
                        answered.incrementAndGet();
                      } else {
                        failures.merge("status " + response.statusCode(), 1, Integer::sum);
                      }
                    } catch (ConnectException refused) {
                      if (!stopSending.get()) {
                        failures.merge("refused before readiness said 503", 1, Integer::sum);
                      }
                    } catch (IOException | InterruptedException e) {
                      failures.merge(
                          e.getClass().getSimpleName() + ": " + e.getMessage(), 1, Integer::sum);
                    }
                  }
                  return null;
                }));
      }
      java.util.concurrent.CompletableFuture<Integer> socketClosed =
          new java.util.concurrent.CompletableFuture<>();
      HttpClient.newHttpClient()
          .newWebSocketBuilder()
          .buildAsync(
              java.net.URI.create(
                  "ws://127.0.0.1:" + node.client().port() + "/v2/models/fashion-convnet/infer/ws"),
              new java.net.http.WebSocket.Listener() {
                @Override
                public java.util.concurrent.CompletionStage<?> onClose(
                    java.net.http.WebSocket socket, int status, String reason) {
                  socketClosed.complete(status);
                  return null;
                }
              })
          .get(10, TimeUnit.SECONDS);
      Thread.sleep(1500);
      int before = answered.get();
      assertThat(before).as("requests answered under load before SIGTERM").isGreaterThan(50);
      long sigterm = System.nanoTime();
      node.terminate();
      while (node.client().get("/v2/health/ready").statusCode() == 200) {
        Thread.sleep(10);
      }
      stopSending.set(true);
      double readinessSeconds = (System.nanoTime() - sigterm) / 1e9;
      for (Future<?> client : clients) {
        client.get(30, TimeUnit.SECONDS);
      }
      assertThat(failures).as("failed requests").isEmpty();
      assertThat(socketClosed.get(30, TimeUnit.SECONDS))
          .as("an open WebSocket is closed as going away")
          .isEqualTo(1001);
      assertThat(node.awaitExit(Duration.ofSeconds(60)))
          .as("exit code: 143 is the JVM's after SIGTERM and its shutdown hooks")
          .isEqualTo(143);
      System.out.printf(
          java.util.Locale.ROOT,
          "%d requests answered, %d after SIGTERM; readiness 503 after %.2f s; 0 failed%n",
          answered.get(),
          answered.get() - before,
          readinessSeconds);
      assertThat(node.log()).contains("requests in flight finished");
    } finally {
      load.shutdownNow();
      node.close();
    }
  }
}
