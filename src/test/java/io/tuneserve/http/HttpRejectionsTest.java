package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Requests refused by the HTTP layer before any route sees them carry a JSON error like every other
 * rejection. Sent over a raw socket, since well-behaved clients cannot send most of them.
 */
class HttpRejectionsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = new TestServer().withDemoModel().set("http.max_body_bytes", 1024).start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** Sends raw bytes, reads until the server closes the connection or the reply is complete. */
  private static String exchange(String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream reply = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      int read;
      while ((read = in.read(buffer)) >= 0) {
        reply.write(buffer, 0, read);
        if (complete(reply.toString(StandardCharsets.ISO_8859_1))) {
          break;
        }
      }
      return reply.toString(StandardCharsets.ISO_8859_1);
    }
  }

  private static boolean complete(String reply) {
    int end = reply.indexOf("\r\n\r\n");
    if (end < 0) {
      return false;
    }
    for (String line : reply.substring(0, end).split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        int length = Integer.parseInt(line.substring(15).trim());
        return reply.length() - end - 4 >= length;
      }
    }
    return false;
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "long url | 414 | the request line is longer than",
        "long header | 431 | the request headers are larger than",
        "garbage request line | 400 | malformed HTTP request",
        "bad content-length | 400 | Content-Length value is not a number",
        "large body | 413 | larger than the limit of 1024 bytes",
      })
  void httpLayerRejectionsCarryAJsonError(String kind, int status, String message)
      throws Exception {
    String request =
        switch (kind) {
          case "long url" -> "GET /v1/models/" + "a".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n";
          case "long header" ->
              "GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Big: "
                  + "b".repeat(10_000)
                  + "\r\n\r\n";
          case "garbage request line" -> "\u0001\u0002 not http at all\r\n\r\n";
          case "bad content-length" ->
              "POST /v2/models/fashion-convnet/infer HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n";
          case "large body" ->
              "POST /v2/models/fashion-convnet/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n"
                  + "{".repeat(2000);
          default -> throw new IllegalArgumentException(kind);
        };
    String reply = exchange(request);
    assertThat(reply).matches("(?s)HTTP/1\\.[01] " + status + " .*");
    String head = reply.substring(0, reply.indexOf("\r\n\r\n")).toLowerCase(java.util.Locale.ROOT);
    assertThat(head).contains("content-type: application/json");
    String body = reply.substring(reply.indexOf("\r\n\r\n") + 4);
    assertThat(JSON.readTree(body).get("error").asText()).contains(message);
    assertThat(server.get("/v2/health/live").statusCode()).isEqualTo(200);
  }
}
