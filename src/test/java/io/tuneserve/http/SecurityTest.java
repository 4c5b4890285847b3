package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tuneserve.testing.TestData;
import io.tuneserve.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/** Bearer tokens guarding the management and fine-tuning APIs, and HTTPS. */
class SecurityTest {
  private static final String PREDICT = "/v1/models/fashion-convnet:predict";

  private static String zeros() {
    return "{\"instances\": [" + blank() + "]}";
  }

  private static String blank() {
    return TestData.uniformImage(0f);
  }

  private static HttpResponse<String> get(TestServer server, String path, String token)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(path)).GET();
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return server.send(request);
  }

  @Test
  void tokensGuardManagementAndTrainingButNotInferenceOrHealth() throws Exception {
    try (TestServer server =
        new TestServer().withDemoModel().set("security.tokens", "s3cret, other").start()) {
      for (String path : new String[] {"/v1/jobs", "/v2/repository/index", "/v2/registry"}) {
        HttpResponse<String> missing = get(server, path, null);
        assertThat(missing.statusCode()).as(path).isEqualTo(401);
        assertThat(missing.body()).contains("\"error\"").contains("Bearer");
        assertThat(missing.headers().firstValue("www-authenticate")).contains("Bearer");
        assertThat(get(server, path, "wrong").statusCode()).isEqualTo(401);
        assertThat(get(server, path, "s3cret").statusCode()).as(path).isEqualTo(200);
        assertThat(get(server, path, "other").statusCode()).isEqualTo(200);
      }
      assertThat(get(server, "/v1/jobs?access_token=s3cret", null).statusCode()).isEqualTo(200);
      assertThat(server.post("/v2/repository/rescan", "").statusCode()).isEqualTo(401);
      assertThat(get(server, "/v1/datasets", null).statusCode()).isEqualTo(401);
      assertThat(
              server
                  .post("/v1/models/fashion-convnet/labels/stable", "{\"version\": 1}")
                  .statusCode())
          .as("moving a label")
          .isEqualTo(401);
      assertThat(get(server, "/v1/models/fashion-convnet/labels", null).statusCode())
          .isEqualTo(200);
      assertThat(
              server
                  .post("/v2/models/fashion-convnet/evaluate", "{\"dataset\": \"any\"}")
                  .statusCode())
          .as("evaluating reads stored datasets")
          .isEqualTo(401);
      assertThat(server.post(PREDICT, zeros()).statusCode()).isEqualTo(200);
      assertThat(get(server, "/v2/health/ready", null).statusCode()).isEqualTo(200);
      assertThat(get(server, "/metrics", null).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aRequestHoldsAtMostTheConfiguredRows() throws Exception {
    try (TestServer server =
        new TestServer().withDemoModel().set("batching.max_request_rows", 4).start()) {
      String four =
          "{\"instances\": [" + String.join(",", java.util.Collections.nCopies(4, blank())) + "]}";
      String five =
          "{\"instances\": [" + String.join(",", java.util.Collections.nCopies(5, blank())) + "]}";
      assertThat(server.post(PREDICT, four).statusCode()).isEqualTo(200);
      HttpResponse<String> refused = server.post(PREDICT, five);
      assertThat(refused.statusCode()).isEqualTo(400);
      assertThat(refused.body()).contains("5 rows").contains("at most 4");
    }
  }

  @Test
  void inferenceCanBeGuardedToo() throws Exception {
    try (TestServer server =
        new TestServer()
            .withDemoModel()
            .set("security.tokens", "s3cret")
            .set("security.protect_inference", true)
            .start()) {
      assertThat(server.post(PREDICT, zeros()).statusCode()).isEqualTo(401);
      assertThat(get(server, "/v1/models/fashion-convnet", "s3cret").statusCode()).isEqualTo(200);
      assertThat(get(server, "/v2/models/fashion-convnet", null).statusCode()).isEqualTo(401);
    }
  }

  @Test
  void servesHttpsOnlyWithACertificate() throws Exception {
    Path directory = Files.createTempDirectory("tuneserve-tls");
    try {
      Path certificate = directory.resolve("cert.pem");
      Path key = directory.resolve("key.pem");
      Process openssl =
          new ProcessBuilder(
                  "openssl",
                  "req",
                  "-x509",
                  "-newkey",
                  "rsa:2048",
                  "-nodes",
                  "-days",
                  "1",
                  "-subj",
                  "/CN=127.0.0.1",
                  "-addext",
                  "subjectAltName=IP:127.0.0.1",
                  "-keyout",
                  key.toString(),
                  "-out",
                  certificate.toString())
              .redirectErrorStream(true)
              .start();
      openssl.getInputStream().readAllBytes();
      assertThat(openssl.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(openssl.exitValue()).isZero();
      try (TestServer server =
          new TestServer()
              .withDemoModel()
              .withTls(certificate, key, trusting(certificate))
              .start()) {
        assertThat(server.uri("/").getScheme()).isEqualTo("https");
        assertThat(server.post(PREDICT, zeros()).statusCode()).isEqualTo(200);
        // gRPC over the same TLS port (HTTP/2 by ALPN).
        io.grpc.ManagedChannel grpc =
            io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress(
                    "127.0.0.1", server.port())
                .sslContext(
                    io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forClient()
                        .trustManager(certificate.toFile())
                        .build())
                .build();
        try {
          assertThat(
                  io.tuneserve.grpc.proto.inference.GRPCInferenceServiceGrpc.newBlockingStub(grpc)
                      .withDeadlineAfter(20, TimeUnit.SECONDS)
                      .modelReady(
                          io.tuneserve.grpc.proto.inference.ModelReadyRequest.newBuilder()
                              .setName("fashion-convnet")
                              .build())
                      .getReady())
              .isTrue();
        } finally {
          grpc.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
        HttpClient plain = HttpClient.newHttpClient();
        assertThatThrownBy(
                () ->
                    plain.send(
                        HttpRequest.newBuilder(
                                URI.create(
                                    "http://127.0.0.1:" + server.port() + "/v2/health/ready"))
                            .build(),
                        HttpResponse.BodyHandlers.ofString()))
            .isInstanceOf(IOException.class);
      }
    } finally {
      TestServer.deleteTree(directory);
    }
  }

  private static SSLContext trusting(Path certificate) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    try (InputStream in = Files.newInputStream(certificate)) {
      store.setCertificateEntry(
          "server", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }
}
