package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.tuneserve.testing.TestData;
import io.tuneserve.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Generated malformed input against every endpoint: truncated and mutated JSON, wrong types and
 * shapes, huge dimensions, non-finite numbers, invalid base64, broken images, binary headers that
 * lie, unknown models and versions, path tricks, broken uploads, and malformed WebSocket messages.
 * Each must get a 4xx with a JSON error (or, over a WebSocket, an error reply or a clean close), in
 * time, with no stack trace; the server must still answer afterwards.
 */
class FuzzTest {
  private static final String PREDICT = "/v1/models/fashion-convnet:predict";
  private static final String INFER = "/v2/models/fashion-convnet/infer";
  private static final String CLASSIFY = "/v1/models/fashion-convnet:classify-image";
  private static TestServer server;
  private final Random random = new Random(20261129);
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** One malformed request; {@code anyBelow500} for mutations that may happen to stay valid. */
  private record Case(
      String name,
      String method,
      String path,
      String contentType,
      byte[] body,
      Map<String, String> headers,
      boolean anyBelow500) {}

  @BeforeAll
  static void start() throws Exception {
    server = new TestServer().withDemoModel().set("http.max_body_bytes", 4 << 20).start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static String image(float value) {
    return TestData.uniformImage(value);
  }

  private static String validPredict() {
    return "{\"instances\": [" + image(0.5f) + "]}";
  }

  private static String validInfer() {
    return "{\"id\": \"1\", \"inputs\": [" + TestData.uniformImageTensor(0.5f) + "]}";
  }

  private static String validJob() {
    StringBuilder instances = new StringBuilder();
    StringBuilder labels = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      instances.append(i == 0 ? "" : ",").append(image(i / 4f));
      labels.append(i == 0 ? "" : ",").append(i % 2 == 0 ? "\"a\"" : "\"b\"");
    }
    return "{\"base_model\": \"fashion-convnet\", \"target_model\": \"fuzzed\","
        + " \"hyperparameters\": {\"epochs\": 1, \"validation_fraction\": 0},"
        + " \"instances\": ["
        + instances
        + "], \"labels\": ["
        + labels
        + "]}";
  }

  private static Case json(String name, String path, String body, boolean mayBeValid) {
    return new Case(
        name,
        "POST",
        path,
        "application/json",
        body.getBytes(StandardCharsets.UTF_8),
        Map.of(),
        mayBeValid);
  }

  private static Case json(String name, String path, String body) {
    return new Case(
        name,
        "POST",
        path,
        "application/json",
        body.getBytes(StandardCharsets.UTF_8),
        Map.of(),
        false);
  }

  private List<Case> cases() throws Exception {
    List<Case> cases = new ArrayList<>();
    Map<String, String> valid = new LinkedHashMap<>();
    valid.put(PREDICT, validPredict());
    valid.put(INFER, validInfer());
    valid.put("/v1/jobs", validJob());
    // Truncated JSON, and JSON with random bytes changed.
    for (Map.Entry<String, String> body : valid.entrySet()) {
      byte[] bytes = body.getValue().getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < 30; i++) {
        int cut = 1 + random.nextInt(bytes.length - 2);
        cases.add(
            new Case(
                "truncated at " + cut,
                "POST",
                body.getKey(),
                "application/json",
                java.util.Arrays.copyOf(bytes, cut),
                Map.of(),
                false));
      }
      for (int i = 0; i < 30; i++) {
        byte[] mutated = bytes.clone();
        for (int m = 0; m < 1 + random.nextInt(4); m++) {
          mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
        }
        cases.add(
            new Case(
                "mutated", "POST", body.getKey(), "application/json", mutated, Map.of(), true));
      }
    }
    // Wrong types, in TF Serving and OIP requests.
    String[] values = {
      "null",
      "true",
      "\"text\"",
      "{}",
      "[]",
      "[[]]",
      "[null]",
      "[\"a\", 1]",
      "{\"b64\": 5}",
      "1e400",
      "-0",
      "[[[[[[1]]]]]]"
    };
    for (String value : values) {
      cases.add(json("instances " + value, PREDICT, "{\"instances\": " + value + "}"));
      cases.add(json("inputs " + value, PREDICT, "{\"inputs\": " + value + "}"));
      cases.add(json("instance " + value, PREDICT, "{\"instances\": [" + value + "]}"));
      cases.add(
          json(
              "signature_name " + value,
              PREDICT,
              "{\"signature_name\": " + value + ", \"instances\": [" + image(0) + "]}"));
      cases.add(json("oip inputs " + value, INFER, "{\"inputs\": " + value + "}"));
      cases.add(
          json(
              "oip data " + value,
              INFER,
              "{\"inputs\": [{\"name\": \"images\", \"datatype\": \"FP32\", \"shape\": [1], \"data\": "
                  + value
                  + "}]}"));
      cases.add(
          json(
              "oip shape " + value,
              INFER,
              "{\"inputs\": [{\"name\": \"images\", \"datatype\": \"FP32\", \"shape\": "
                  + value
                  + ", \"data\": [1]}]}"));
      cases.add(
          json(
              "oip name " + value,
              INFER,
              "{\"inputs\": [{\"name\": "
                  + value
                  + ", \"datatype\": \"FP32\", \"shape\": [1], \"data\": [1]}]}"));
      cases.add(
          json(
              "oip datatype " + value,
              INFER,
              "{\"inputs\": [{\"name\": \"images\", \"datatype\": "
                  + value
                  + ", \"shape\": [1], \"data\": [1]}]}"));
      cases.add(
          json(
              "oip parameters " + value,
              INFER,
              "{\"parameters\": "
                  + value
                  + ", \"inputs\": [{\"name\": \"images\", \"datatype\": \"FP32\", \"shape\": [1], \"data\": [1]}]}"));
      // An empty outputs list asks for every output; empty hyperparameters take the defaults.
      cases.add(
          json(
              "oip outputs " + value,
              INFER,
              "{\"outputs\": " + value + ", \"inputs\": [" + TestData.uniformImageTensor(0f) + "]}",
              value.equals("[]")));
      cases.add(
          json(
              "job labels " + value,
              "/v1/jobs",
              validJob().replaceFirst("\"labels\": \\[[^]]*]", "\"labels\": " + value)));
      cases.add(
          json(
              "job hyperparameters " + value,
              "/v1/jobs",
              validJob().replace("{\"epochs\": 1, \"validation_fraction\": 0}", value),
              value.equals("{}")));
      cases.add(
          json("job base " + value, "/v1/jobs", validJob().replace("\"fashion-convnet\"", value)));
    }
    // Shapes that do not fit, huge or negative dimensions.
    String[][] shapes = {
      {"[1, 28, 28, 1]", "[1]"},
      {"[2, 28, 28, 1]", "[1]"},
      {"[-1, 28, 28, 1]", "[1]"},
      {"[0, 28, 28, 1]", "[]"},
      {"[1000000000, 1000000000]", "[1]"},
      {"[9223372036854775807]", "[1]"},
      {"[1, 2, 3]", "[1, 2, 3, 4, 5, 6]"},
      {"[6]", "[1, 2, 3, 4, 5, 6]"},
      {"[1, 28, 28, 3]", "[1]"},
      {"[]", "[1]"},
      {"[1, 28, 28, 1, 1]", "[1]"},
      {"[3.5]", "[1]"},
      {"[\"1\"]", "[1]"}
    };
    for (String[] shape : shapes) {
      cases.add(
          json(
              "oip shape " + shape[0],
              INFER,
              "{\"inputs\": [{\"name\": \"images\", \"datatype\": \"FP32\", \"shape\": "
                  + shape[0]
                  + ", \"data\": "
                  + shape[1]
                  + "}]}"));
    }
    for (String instance :
        new String[] {
          "[1, 2, 3]",
          "[[1, 2], [3]]",
          "[[[1]]]",
          image(0).replaceFirst("\\[0\\.0\\]", "[0.0, 1.0]"),
          "[" + image(0) + "," + image(0) + "]"
        }) {
      cases.add(json("instance shape", PREDICT, "{\"instances\": [" + instance + "]}"));
    }
    // Non-finite numbers, in every spelling JSON parsers take.
    for (String number :
        new String[] {"NaN", "Infinity", "-Infinity", "\"NaN\"", "1e999", "-1e999", "nan", "inf"}) {
      cases.add(json("predict " + number, PREDICT, validPredict().replaceFirst("0\\.5", number)));
      cases.add(json("infer " + number, INFER, validInfer().replaceFirst("0\\.5", number)));
    }
    // Invalid base64, and base64 of things that are not images.
    for (String b64 :
        new String[] {
          "!!!!",
          "====",
          "a",
          "abc",
          "YWJj\n",
          "%%%",
          "iVBORw0KGgo",
          Base64.getEncoder().encodeToString(new byte[] {1, 2, 3}),
          Base64.getEncoder().encodeToString("GIF89a".getBytes(StandardCharsets.US_ASCII)),
          ""
        }) {
      cases.add(json("b64 " + b64, PREDICT, "{\"instances\": [{\"b64\": \"" + b64 + "\"}]}"));
      cases.add(
          json(
              "job b64 " + b64,
              "/v1/jobs",
              "{\"base_model\": \"fashion-convnet\", \"target_model\": \"t\", \"instances\": [{\"b64\": \""
                  + b64
                  + "\"}, {\"b64\": \""
                  + b64
                  + "\"}], \"labels\": [\"a\", \"b\"]}"));
    }
    // Broken images for classify-image.
    byte[] png = Files.readAllBytes(Path.of("src/test/resources/images/sneaker.png"));
    for (int i = 0; i < 25; i++) {
      byte[] broken =
          i < 12 ? java.util.Arrays.copyOf(png, 1 + random.nextInt(png.length - 1)) : png.clone();
      if (i >= 12) {
        for (int m = 0; m < 1 + random.nextInt(8); m++) {
          broken[random.nextInt(broken.length)] = (byte) random.nextInt(256);
        }
      }
      cases.add(
          new Case("broken png " + i, "POST", CLASSIFY, "image/png", broken, Map.of(), i >= 12));
    }
    byte[] huge = png.clone();
    ByteBuffer.wrap(huge, 16, 8).putInt(100_000).putInt(100_000);
    cases.add(
        new Case(
            "png claiming 100000x100000", "POST", CLASSIFY, "image/png", huge, Map.of(), false));
    for (String type :
        new String[] {"image/gif", "text/plain", "application/json", "image/png; charset=x"}) {
      cases.add(
          new Case(
              "classify as " + type,
              "POST",
              CLASSIFY,
              type,
              new byte[] {1, 2, 3},
              Map.of(),
              false));
    }
    cases.add(
        new Case(
            "classify top_k=-1",
            "POST",
            CLASSIFY + "?top_k=-1",
            "image/png",
            png,
            Map.of(),
            false));
    cases.add(
        new Case(
            "classify top_k=x", "POST", CLASSIFY + "?top_k=x", "image/png", png, Map.of(), false));
    // Binary tensor headers that lie.
    byte[] header =
        validInfer()
            .replace(
                "\"data\": [" + "0.5,".repeat(783) + "0.5]",
                "\"parameters\": {\"binary_data_size\": 3136}")
            .getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream binary = new ByteArrayOutputStream();
    binary.write(header);
    binary.write(new byte[3136]);
    byte[] binaryBody = binary.toByteArray();
    for (String length :
        new String[] {
          "-1",
          "0",
          "abc",
          "99999999",
          Integer.toString(binaryBody.length + 1),
          "3",
          Integer.toString(header.length - 1),
          "1e3",
          " ",
          Integer.toString(Integer.MAX_VALUE)
        }) {
      cases.add(
          new Case(
              "binary header length " + length,
              "POST",
              INFER,
              "application/octet-stream",
              binaryBody,
              Map.of("inference-header-content-length", length),
              false));
    }
    for (int size : new int[] {0, 1, 3135, 3137, 1 << 30, -4}) {
      byte[] lying =
          validInfer()
              .replace(
                  "\"data\": [" + "0.5,".repeat(783) + "0.5]",
                  "\"parameters\": {\"binary_data_size\": " + size + "}")
              .getBytes(StandardCharsets.UTF_8);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(lying);
      out.write(new byte[3136]);
      cases.add(
          new Case(
              "binary_data_size " + size,
              "POST",
              INFER,
              "application/octet-stream",
              out.toByteArray(),
              Map.of("inference-header-content-length", Integer.toString(lying.length)),
              false));
    }
    // Deep nesting.
    for (int depth : new int[] {100, 1000, 5000}) {
      cases.add(
          json(
              "nesting " + depth,
              PREDICT,
              "{\"instances\": " + "[".repeat(depth) + "]".repeat(depth) + "}"));
      cases.add(
          json(
              "object nesting " + depth,
              INFER,
              "{\"a\": " + "{\"a\": ".repeat(depth) + "1" + "}".repeat(depth) + "}"));
    }
    // Unknown models and versions, path tricks, on every route that names one.
    String[] models = {
      "nope",
      "..",
      "%2e%2e",
      "..%2f..%2fetc%2fpasswd",
      "a".repeat(300),
      "fashion-convnet%00",
      "%F0%9F%98%80",
      ".hidden",
      "fashion-convnet/versions/0",
      "fashion-convnet/versions/-1",
      "fashion-convnet/versions/99999999999999999999",
      "fashion-convnet/versions/1.5",
      "fashion-convnet/versions/abc",
      "fashion-convnet/versions/",
      "fashion-convnet/versions/7"
    };
    for (String model : models) {
      // ".." segments are resolved by URL normalisation to another route, never outside the API.
      boolean dots = model.equals("..") || model.equals("%2e%2e");
      cases.add(
          new Case("GET model " + model, "GET", "/v1/models/" + model, null, null, Map.of(), dots));
      cases.add(
          new Case(
              "GET metadata " + model,
              "GET",
              "/v1/models/" + model + "/metadata",
              null,
              null,
              Map.of(),
              false));
      cases.add(json("predict " + model, "/v1/models/" + model + ":predict", validPredict()));
      cases.add(
          new Case("GET oip " + model, "GET", "/v2/models/" + model, null, null, Map.of(), dots));
      cases.add(json("infer " + model, "/v2/models/" + model + "/infer", validInfer()));
      cases.add(
          new Case(
              "classify " + model,
              "POST",
              "/v1/models/" + model + ":classify-image",
              "image/png",
              png,
              Map.of(),
              false));
      cases.add(
          new Case(
              "load " + model,
              "POST",
              "/v2/repository/models/" + model + "/load",
              null,
              new byte[0],
              Map.of(),
              false));
      cases.add(
          new Case(
              "registry " + model,
              "GET",
              "/v2/registry/models/" + model,
              null,
              null,
              Map.of(),
              dots));
      cases.add(
          new Case(
              "pin " + model,
              "POST",
              "/v2/registry/models/" + model + "/versions/x/pin",
              null,
              new byte[0],
              Map.of(),
              false));
      cases.add(
          json(
              "job base " + model,
              "/v1/jobs",
              validJob().replace("\"fashion-convnet\"", "\"" + model.replace("%", "") + "x/..\"")));
      cases.add(
          json(
              "job target " + model,
              "/v1/jobs",
              validJob().replace("\"fuzzed\"", "\"../" + model + "\"")));
    }
    for (String path :
        new String[] {
          "/v1/jobs/nope",
          "/v1/jobs/../../etc/passwd",
          "/v1/jobs/%00",
          "/v1/jobs/" + "x".repeat(2000)
        }) {
      cases.add(new Case("GET " + path, "GET", path, null, null, Map.of(), false));
      cases.add(new Case("DELETE " + path, "DELETE", path, null, null, Map.of(), false));
      cases.add(new Case("events " + path, "GET", path + "/events", null, null, Map.of(), false));
    }
    // Broken uploads: multipart and zip archives.
    for (String multipart :
        new String[] {
          "--x\r\n",
          "--x\r\ncontent-disposition: form-data; name=\"job\"\r\n\r\n{not json}\r\n--x--\r\n",
          "--x\r\ncontent-disposition: form-data; name=\"a\"; filename=\"a.png\"\r\n\r\nnot a png\r\n--x--\r\n",
          "garbage",
          ""
        }) {
      cases.add(
          new Case(
              "multipart",
              "POST",
              "/v1/jobs",
              "multipart/form-data; boundary=x",
              multipart.getBytes(StandardCharsets.UTF_8),
              Map.of(),
              false));
    }
    cases.add(
        new Case(
            "multipart without boundary",
            "POST",
            "/v1/jobs",
            "multipart/form-data",
            "--x\r\n".getBytes(StandardCharsets.UTF_8),
            Map.of(),
            false));
    for (String[] entries :
        new String[][] {
          {"../evil.png"}, {"/abs/a.png"}, {"job.json"}, {"a/b/c/d.png"}, {"a/x.png", "b/y.png"}, {}
        }) {
      ByteArrayOutputStream zip = new ByteArrayOutputStream();
      try (ZipOutputStream out = new ZipOutputStream(zip)) {
        for (String entry : entries) {
          out.putNextEntry(new ZipEntry(entry));
          out.write(
              entry.equals("job.json")
                  ? "{\"base_model\": 1}".getBytes(StandardCharsets.UTF_8)
                  : png);
          out.closeEntry();
        }
      }
      cases.add(
          new Case(
              "zip " + String.join(",", entries),
              "POST",
              "/v1/jobs",
              "application/zip",
              zip.toByteArray(),
              Map.of(),
              false));
    }
    cases.add(
        new Case(
            "zip garbage",
            "POST",
            "/v1/jobs",
            "application/zip",
            new byte[] {'P', 'K', 3, 4, 0, 0},
            Map.of(),
            false));
    // Bodies over the limit, and wrong methods.
    cases.add(
        new Case(
            "body over the limit",
            "POST",
            PREDICT,
            "application/json",
            new byte[5 << 20],
            Map.of(),
            false));
    cases.add(
        new Case(
            "timeout header",
            "POST",
            PREDICT,
            "application/json",
            validPredict().getBytes(StandardCharsets.UTF_8),
            Map.of("x-request-timeout-ms", "-3"),
            false));
    for (String path : new String[] {PREDICT, INFER, "/v1/jobs", "/v2/registry"}) {
      cases.add(
          new Case(
              "PUT " + path,
              "PUT",
              path,
              "application/json",
              "{}".getBytes(StandardCharsets.UTF_8),
              Map.of(),
              false));
    }
    return cases;
  }

  @Test
  void malformedHttpRequestsGetA4xxAndTheServerLives() throws Exception {
    List<Case> cases = cases();
    List<String> problems = new ArrayList<>();
    int fourxx = 0;
    for (Case c : cases) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + c.path()))
              .timeout(Duration.ofSeconds(30))
              .method(
                  c.method(),
                  c.body() == null
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofByteArray(c.body()));
      if (c.contentType() != null) {
        request.header("content-type", c.contentType());
      }
      c.headers().forEach(request::header);
      HttpResponse<String> response;
      try {
        response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      } catch (IllegalArgumentException invalidUri) {
        continue;
      } catch (java.io.IOException e) {
        problems.add(c.name() + " " + c.path() + ": " + e);
        continue;
      }
      int status = response.statusCode();
      boolean expected = c.anyBelow500() ? status < 500 : status >= 400 && status < 500;
      if (!expected) {
        problems.add(c.name() + " " + c.path() + ": " + status + " " + abbreviate(response.body()));
      } else if (status >= 400) {
        fourxx++;
        if (!response.body().startsWith("{\"error\":")
            || response.body().contains("\tat ")
            || response.body().contains("Exception:")) {
          problems.add(c.name() + ": not a plain JSON error: " + abbreviate(response.body()));
        }
      }
    }
    System.out.printf(
        "fuzz: %d HTTP inputs, %d answered 4xx, %d problems%n",
        cases.size(), fourxx, problems.size());
    assertThat(problems).isEmpty();
    assertThat(cases.size()).isGreaterThanOrEqualTo(500);
    assertThat(server.get("/v2/health/ready").statusCode()).isEqualTo(200);
    assertThat(server.post(PREDICT, validPredict()).statusCode()).isEqualTo(200);
  }

  private static String abbreviate(String body) {
    return body.length() > 200 ? body.substring(0, 200) + "..." : body;
  }

  @Test
  void malformedWebSocketMessagesGetAnErrorOrACleanClose() throws Exception {
    List<Object> messages = new ArrayList<>();
    String[] texts = {
      "",
      "{",
      "[]",
      "null",
      "{\"inputs\": 5}",
      "{\"id\": 5}",
      "{\"id\": \"a\"}",
      "{\"id\": \"a\", \"inputs\": []}",
      "{\"id\": \"a\", \"inputs\": [{\"name\": \"images\", \"datatype\": \"FP32\", \"shape\": [1], \"data\": [NaN]}]}",
      "{\"id\": \"a\", \"inputs\": [{\"name\": \"images\", \"datatype\": \"BOGUS\", \"shape\": [1], \"data\": [1]}]}",
      "[".repeat(5000),
      "\u0000\u0001",
      validInfer().substring(0, 100),
      validInfer().replace("\"1\"", "null")
    };
    for (String text : texts) {
      messages.add(text);
    }
    for (int i = 0; i < 20; i++) {
      byte[] mutated = validInfer().getBytes(StandardCharsets.UTF_8);
      mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
      messages.add(new String(mutated, StandardCharsets.UTF_8));
    }
    for (int length : new int[] {-1, 0, 2, 1 << 30, 100}) {
      ByteBuffer frame = ByteBuffer.allocate(4 + 10).order(ByteOrder.LITTLE_ENDIAN);
      frame.putInt(length).put("{\"id\":\"x\"}".getBytes(StandardCharsets.US_ASCII)).flip();
      messages.add(frame);
    }
    messages.add(ByteBuffer.wrap(new byte[] {1, 2}));
    for (int i = 0; i < 10; i++) {
      byte[] noise = new byte[1 + random.nextInt(64)];
      random.nextBytes(noise);
      messages.add(ByteBuffer.wrap(noise));
    }
    List<String> problems = new ArrayList<>();
    for (Object message : messages) {
      CompletableFuture<String> outcome = new CompletableFuture<>();
      WebSocket socket =
          http.newWebSocketBuilder()
              .buildAsync(
                  URI.create("ws://127.0.0.1:" + server.port() + INFER + "/ws"),
                  new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(
                        WebSocket ws, CharSequence data, boolean last) {
                      outcome.complete(
                          data.toString().contains("\"error\"") ? "error reply" : "reply " + data);
                      return null;
                    }

                    @Override
                    public CompletionStage<?> onBinary(
                        WebSocket ws, ByteBuffer data, boolean last) {
                      outcome.complete("binary reply");
                      return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
                      outcome.complete(
                          status >= 1007 && status <= 1009
                              ? "closed " + status
                              : "closed with " + status + " " + reason);
                      return null;
                    }

                    @Override
                    public void onError(WebSocket ws, Throwable error) {
                      outcome.complete("error " + error);
                    }
                  })
              .get(10, TimeUnit.SECONDS);
      if (message instanceof String text) {
        socket.sendText(text, true);
      } else {
        socket.sendBinary((ByteBuffer) message, true);
      }
      String result;
      try {
        result = outcome.get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        result = "no answer in 10 s";
      }
      if (!result.equals("error reply") && !result.matches("closed 100[789]")) {
        problems.add(abbreviate(message.toString()) + ": " + result);
      }
      socket.abort();
    }
    System.out.printf(
        "fuzz: %d WebSocket messages, %d problems%n", messages.size(), problems.size());
    assertThat(problems).isEmpty();
    assertThat(server.post(PREDICT, validPredict()).statusCode()).isEqualTo(200);
  }
}
