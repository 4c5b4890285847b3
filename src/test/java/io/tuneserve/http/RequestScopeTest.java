package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.tuneserve.testing.TestData;
import io.tuneserve.testing.TestServer;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests that stop being worth computing: a request whose timeout passes while it waits for its
 * batch is answered 504 and never run; one whose client hangs up is dropped unrun. The model's
 * batches wait 1.5 s to fill, so both happen while the request is queued.
 */
class RequestScopeTest {
  private static final String PREDICT = "/v1/models/fashion-convnet:predict";
  private static final String OIP = "/v2/models/fashion-convnet/infer";
  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = new TestServer().withDemoModelQueueing(1500).start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static String image() {
    return TestData.uniformImage(0.5f);
  }

  private static double metric(String name) throws Exception {
    Matcher value =
        Pattern.compile("(?m)^" + name + "\\{[^}]*model=\"fashion-convnet\"[^}]*\\} (\\S+)$")
            .matcher(server.get("/metrics").body());
    return value.find() ? Double.parseDouble(value.group(1)) : 0;
  }

  private static HttpResponse<String> predict(String timeoutMillis) throws Exception {
    return server.send(
        HttpRequest.newBuilder(server.uri(PREDICT))
            .header(RequestScopes.TIMEOUT_HEADER, timeoutMillis)
            .POST(HttpRequest.BodyPublishers.ofString("{\"instances\": [" + image() + "]}")));
  }

  @Test
  void aRequestWhoseTimeoutPassesIsAnswered504AndNeverRun() throws Exception {
    double computed = metric("tuneserve_compute_seconds_count");
    double dropped = metric("tuneserve_requests_dropped_total");
    long start = System.nanoTime();
    HttpResponse<String> late = predict("100");
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(late.statusCode()).isEqualTo(504);
    assertThat(late.body()).contains("timeout of 100 ms");
    assertThat(millis).as("answered at its deadline, not when its batch ran").isLessThan(1000);

    HttpResponse<String> oip =
        server.post(
            OIP,
            "{\"parameters\": {\"timeout\": 50000}, \"inputs\": ["
                + TestData.uniformImageTensor(0.5f)
                + "]}");
    assertThat(oip.statusCode()).isEqualTo(504);
    assertThat(oip.body()).contains("timeout of 50 ms");

    Thread.sleep(2000);
    assertThat(metric("tuneserve_requests_dropped_total")).isEqualTo(dropped + 2);
    assertThat(metric("tuneserve_compute_seconds_count")).as("no batch ran").isEqualTo(computed);

    assertThat(predict("10000").statusCode()).as("within its timeout").isEqualTo(200);
    assertThat(metric("tuneserve_compute_seconds_count")).isEqualTo(computed + 1);
  }

  @Test
  void aWebSocketRequestWithATimeoutGetsAnErrorReplyAtItsDeadline() throws Exception {
    java.util.concurrent.CompletableFuture<String> reply =
        new java.util.concurrent.CompletableFuture<>();
    java.net.http.WebSocket socket =
        java.net.http.HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .buildAsync(
                java.net.URI.create("ws://127.0.0.1:" + server.port() + OIP + "/ws"),
                new java.net.http.WebSocket.Listener() {
                  @Override
                  public java.util.concurrent.CompletionStage<?> onText(
                      java.net.http.WebSocket ws, CharSequence data, boolean last) {
                    reply.complete(data.toString());
                    return null;
                  }
                })
            .get(10, java.util.concurrent.TimeUnit.SECONDS);
    long start = System.nanoTime();
    socket.sendText(
        "{\"id\": \"late\", \"parameters\": {\"timeout\": 80000}, \"inputs\": ["
            + TestData.uniformImageTensor(0.5f)
            + "]}",
        true);
    String answer = reply.get(10, java.util.concurrent.TimeUnit.SECONDS);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(answer).contains("\"id\":\"late\"").contains("\"status\":504").contains("80 ms");
    assertThat(millis).as("answered at its deadline, not when its batch ran").isLessThan(1000);
    double dropped = metric("tuneserve_requests_dropped_total");
    Thread.sleep(2000);
    assertThat(metric("tuneserve_requests_dropped_total"))
        .as("its batch left it out")
        .isEqualTo(dropped + 1);
    socket.abort();
  }

  @Test
  void aRequestWhoseClientHangsUpIsDroppedUnrun() throws Exception {
    double computed = metric("tuneserve_compute_seconds_count");
    double dropped = metric("tuneserve_requests_dropped_total");
    byte[] body = ("{\"instances\": [" + image() + "]}").getBytes(StandardCharsets.UTF_8);
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST "
                  + PREDICT
                  + " HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
                  + "content-length: "
                  + body.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      Thread.sleep(200);
    }
    Thread.sleep(2000);
    assertThat(metric("tuneserve_requests_dropped_total")).isEqualTo(dropped + 1);
    assertThat(metric("tuneserve_compute_seconds_count")).as("no batch ran").isEqualTo(computed);
  }

  @Test
  void aTimeoutMustBeAPositiveWholeNumber() throws Exception {
    HttpResponse<String> header = predict("soon");
    assertThat(header.statusCode()).isEqualTo(400);
    assertThat(header.body()).contains(RequestScopes.TIMEOUT_HEADER);
    HttpResponse<String> parameter =
        server.post(
            OIP,
            "{\"parameters\": {\"timeout\": -5}, \"inputs\": ["
                + TestData.uniformImageTensor(0.5f)
                + "]}");
    assertThat(parameter.statusCode()).isEqualTo(400);
    assertThat(parameter.body()).contains("'timeout'");
  }
}
