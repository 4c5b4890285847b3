package io.tuneserve.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.tuneserve.config.ConfigLoader;
import io.tuneserve.config.ServerConfig;
import io.tuneserve.server.TuneServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A real server on a free loopback port over a temporary model repository. */
public final class TestServer implements AutoCloseable {
  private final Path repository;
  private final Path datasets;
  private final Map<String, Object> overrides = new HashMap<>();
  private NodeClient client;
  private javax.net.ssl.SSLContext tls;
  private TuneServer server;
  private int port;
  private static final int BIND_ATTEMPTS = 5;

  public TestServer() {
    try {
      repository = Files.createTempDirectory("tuneserve-models");
      datasets = Files.createTempDirectory("tuneserve-datasets");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    overrides.put("models.poll_interval_seconds", 0);
    overrides.put("datasets.directory", datasets.toString());
    overrides.put("http.event_loops", 2);
    overrides.put("batching.threads", 2);
    overrides.put("http.drain_delay_seconds", 0);
    overrides.put("cluster.name", "test-" + java.util.UUID.randomUUID());
  }

  public Path repository() {
    return repository;
  }

  /** The directory the server keeps its datasets in. */
  public Path datasets() {
    return datasets;
  }

  /** Serves HTTPS with this PEM certificate and key; the test client trusts {@code trust}. */
  public TestServer withTls(Path certificate, Path key, javax.net.ssl.SSLContext trust) {
    this.tls = trust;
    overrides.put("security.tls_cert_file", certificate.toString());
    overrides.put("security.tls_key_file", key.toString());
    return this;
  }

  /** Makes this server a member of {@code cluster} (see {@link TestCluster#member}). */
  public TestServer joining(Map<String, Object> member) {
    overrides.putAll(member);
    return this;
  }

  public TestServer set(String key, Object value) {
    overrides.put(key, value);
    return this;
  }

  /** Copies a version directory (a SavedModel) into the repository as {@code name/version}. */
  public TestServer withVersion(String name, long version, Path savedModel) {
    copyTree(savedModel, repository.resolve(name).resolve(Long.toString(version)));
    return this;
  }

  /** Adds the committed demo model, fashion-convnet version 1, with its model.yaml. */
  /**
   * The demo model, its batches waiting {@code millis} to fill, so a lone request stays queued that
   * long.
   */
  public TestServer withDemoModelQueueing(int millis) throws IOException {
    String settings =
        Files.readString(TestData.fashionConvnetSettings())
            + "\nbatching:\n  max_queue_delay_ms: "
            + millis
            + "\n  max_batch_size: 64\n";
    return withDemoModel().withFile("fashion-convnet", "model.yaml", settings);
  }

  public TestServer withDemoModel() {
    withVersion("fashion-convnet", 1, TestData.fashionConvnet());
    try {
      return withFile(
          "fashion-convnet", "model.yaml", Files.readString(TestData.fashionConvnetSettings()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public TestServer withFile(String name, String file, String content) {
    try {
      Files.createDirectories(repository.resolve(name));
      Files.writeString(repository.resolve(name).resolve(file), content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /**
   * Starts the server and waits until it reports ready. A port found free can be taken by another
   * socket before the server binds it (outgoing connections draw from the same range), so a start
   * that fails to bind is retried on new ports.
   */
  public TestServer start() throws Exception {
    boolean ownMemberPort = !overrides.containsKey("cluster.port");
    for (int attempt = 1; ; attempt++) {
      port = freePort();
      overrides.put("http.port", port);
      overrides.put("models.directory", repository.toString());
      if (ownMemberPort) {
        int member = freePort();
        overrides.put("cluster.port", member);
        overrides.put("cluster.members", "127.0.0.1:" + member);
      }
      ServerConfig config = new ConfigLoader().load(null, Map.of(), overrides);
      server = new TuneServer(config);
      try {
        server.start().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        break;
      } catch (java.util.concurrent.ExecutionException e) {
        if (attempt == BIND_ATTEMPTS || !(rootCause(e) instanceof java.net.BindException)) {
          throw e;
        }
        server.close();
      }
    }
    client = tls == null ? new NodeClient(port) : new NodeClient(port, tls);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (get("/v2/health/ready").statusCode() != 200) {
      assertThat(System.nanoTime()).as("server ready in time").isLessThan(deadline);
      Thread.sleep(50);
    }
    return this;
  }

  public int port() {
    return port;
  }

  public URI uri(String path) {
    return client.uri(path);
  }

  public HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return client.get(path);
  }

  public HttpResponse<String> post(String path, String body)
      throws IOException, InterruptedException {
    return client.post(path, body);
  }

  public HttpResponse<byte[]> post(String path, byte[] body, Map<String, String> headers)
      throws IOException, InterruptedException {
    return client.post(path, body, headers);
  }

  public HttpResponse<String> send(HttpRequest.Builder request)
      throws IOException, InterruptedException {
    return client.send(request);
  }

  /** The HTTP client of this server. */
  public NodeClient client() {
    return client;
  }

  public TuneServer server() {
    return server;
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
    deleteTree(repository);
    deleteTree(datasets);
  }

  private static Throwable rootCause(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return cause;
  }

  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  public static void copyTree(Path from, Path to) {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path source : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
