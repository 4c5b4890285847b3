package io.tuneserve.bench;

import io.tuneserve.client.InferenceSocketClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Sends inference requests to a server on loopback and measures them: closed loop (a fixed number
 * of requests in flight) or open loop (a fixed rate, latency counted from when each request was
 * due, so a stalled server cannot hide its stall). Every step stops by itself.
 */
final class LoadRunner {
  private static final long MAX_LATENCY_MICROS = TimeUnit.SECONDS.toMicros(60);

  /** A warm-up is over once this many steps in a row are within {@link #STEADY_SPREAD}. */
  static final int STEADY_STEPS = 3;

  /** The largest ratio of the fastest to the slowest of the last steps that counts as steady. */
  static final double STEADY_SPREAD = 1.07;

  private final Vertx vertx;
  private final String host;
  private final int port;
  private final String model;

  LoadRunner(Vertx vertx, String host, int port, String model) {
    this.vertx = vertx;
    this.host = host;
    this.port = port;
    this.model = model;
  }

  /** One way to send a request: a new sender per virtual user (a connection for WebSocket). */
  private interface Sender extends AutoCloseable {
    Future<Void> send();

    @Override
    void close();
  }

  private Sender httpSender(HttpClient client, Protocol protocol, Payloads payloads) {
    String path =
        protocol == Protocol.TFS_JSON || protocol == Protocol.TFS_JPEG
            ? "/v1/models/" + model + ":predict"
            : "/v2/models/" + model + "/infer";
    return new Sender() {
      @Override
      public Future<Void> send() {
        RequestOptions options =
            new RequestOptions().setMethod(HttpMethod.POST).setHost(host).setPort(port).setURI(path);
        if (protocol == Protocol.OIP_BINARY) {
          options.putHeader("Inference-Header-Content-Length", Integer.toString(payloads.oipBinaryHeaderLength));
          options.putHeader("content-type", "application/octet-stream");
        } else {
          options.putHeader("content-type", "application/json");
        }
        var body =
            switch (protocol) {
              case TFS_JSON -> payloads.tfsJson;
              case TFS_JPEG -> payloads.tfsJpeg();
              case OIP_JSON -> payloads.oipJson;
              default -> payloads.oipBinary;
            };
        return client
            .request(options)
            .compose(request -> request.send(body))
            .compose(
                response ->
                    response
                        .body()
                        .compose(
                            reply ->
                                response.statusCode() == 200
                                    ? Future.<Void>succeededFuture()
                                    : Future.<Void>failedFuture(
                                        "status " + response.statusCode() + ": " + reply)));
      }

      @Override
      public void close() {}
    };
  }

  private Sender socketSender(Payloads payloads) throws Exception {
    InferenceSocketClient socket =
        InferenceSocketClient.connect(vertx, host, port, model, null)
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    AtomicLong ids = new AtomicLong();
    return new Sender() {
      @Override
      public Future<Void> send() {
        CompletableFuture<InferenceSocketClient.Reply> reply =
            socket.inferBinary(
                payloads.socketHeader(Long.toString(ids.incrementAndGet())), payloads.tensorBytes);
        return Future.fromCompletionStage(reply).mapEmpty();
      }

      @Override
      public void close() {
        socket.close();
      }
    };
  }

  private Sender grpcSender(io.vertx.grpc.client.GrpcClient client, Payloads payloads) {
    io.tuneserve.grpc.proto.inference.GRPCInferenceServiceGrpcClient stub =
        io.tuneserve.grpc.proto.inference.GRPCInferenceServiceGrpcClient.create(
            client, io.vertx.core.net.SocketAddress.inetSocketAddress(port, host));
    io.tuneserve.grpc.proto.inference.ModelInferRequest request = payloads.grpcRequest(model, "");
    return new Sender() {
      @Override
      public Future<Void> send() {
        return stub.modelInfer(request).mapEmpty();
      }

      @Override
      public void close() {}
    };
  }

  /** One ModelStreamInfer stream per virtual user: each send writes a request and waits for its answer by id. */
  private Sender streamSender(io.vertx.grpc.client.GrpcClient client, Payloads payloads) throws Exception {
    java.util.Map<String, Promise<Void>> pending = new java.util.concurrent.ConcurrentHashMap<>();
    io.vertx.grpc.client.GrpcClientRequest<
            io.tuneserve.grpc.proto.inference.ModelInferRequest,
            io.tuneserve.grpc.proto.inference.ModelStreamInferResponse>
        stream =
            client
                .request(
                    io.vertx.core.net.SocketAddress.inetSocketAddress(port, host),
                    io.tuneserve.grpc.proto.inference.GRPCInferenceServiceGrpcClient.ModelStreamInfer)
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    stream
        .response()
        .onSuccess(
            response ->
                response.handler(
                    answer -> {
                      Promise<Void> waiting = pending.remove(answer.getInferResponse().getId());
                      if (waiting == null) {
                        return;
                      }
                      if (answer.getErrorMessage().isEmpty()) {
                        waiting.complete();
                      } else {
                        waiting.fail(answer.getErrorMessage());
                      }
                    }));
    AtomicLong ids = new AtomicLong();
    return new Sender() {
      @Override
      public Future<Void> send() {
        String id = Long.toString(ids.incrementAndGet());
        Promise<Void> answered = Promise.promise();
        pending.put(id, answered);
        stream.write(payloads.grpcRequest(model, id));
        return answered.future();
      }

      @Override
      public void close() {
        stream.end();
      }
    };
  }

  private io.vertx.grpc.client.GrpcClient grpcClient() {
    return io.vertx.grpc.client.GrpcClient.client(
        vertx,
        new io.vertx.grpc.client.GrpcClientOptions().setMaxMessageSize(256L << 20),
        new HttpClientOptions()
            .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2)
            .setHttp2ClearTextUpgrade(false)
            .setTcpNoDelay(true));
  }

  private HttpClient httpClient(int connections) {
    return vertx.createHttpClient(
        new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
        new PoolOptions().setHttp1MaxSize(connections));
  }

  /**
   * Closed-loop steps until the server's rate stops climbing: a fresh server's JIT compiles its
   * request path for tens of seconds (a minute on a slow core that TensorFlow keeps busy), so a
   * fixed warm-up measures the compiler on one machine and not on another. Steps of {@code
   * stepSeconds} until the last three are within 7 % of each other, or {@code maxSeconds} have
   * passed; returns each step's requests per second.
   */
  List<Double> warmUntilSteady(
      Protocol protocol, Payloads payloads, int concurrency, double stepSeconds, double maxSeconds)
      throws Exception {
    List<Double> rates = new ArrayList<>();
    long end = System.nanoTime() + (long) (maxSeconds * 1e9);
    do {
      rates.add(closedLoop("warm-up", protocol, payloads, concurrency, 0, stepSeconds).requestsPerSecond());
    } while (!steady(rates) && System.nanoTime() < end);
    return rates;
  }

  private static boolean steady(List<Double> rates) {
    if (rates.size() < STEADY_STEPS) {
      return false;
    }
    List<Double> last = rates.subList(rates.size() - STEADY_STEPS, rates.size());
    double max = last.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    double min = last.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    return min > 0 && max / min <= STEADY_SPREAD;
  }

  /** Keeps {@code concurrency} requests in flight for the duration and measures them. */
  StepResult closedLoop(
      String target, Protocol protocol, Payloads payloads, int concurrency, double warmupSeconds, double seconds)
      throws Exception {
    HttpClient client = httpClient(concurrency);
    io.vertx.grpc.client.GrpcClient grpc = grpcClient();
    List<Sender> senders = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      senders.add(
          switch (protocol) {
            case WEBSOCKET -> socketSender(payloads);
            case GRPC -> grpcSender(grpc, payloads);
            case GRPC_STREAM -> streamSender(grpc, payloads);
            default -> httpSender(client, protocol, payloads);
          });
    }
    Histogram latency = new ConcurrentHistogram(MAX_LATENCY_MICROS, 3);
    AtomicLong requests = new AtomicLong();
    Failures errors = new Failures();
    long start = System.nanoTime();
    long measureFrom = start + (long) (warmupSeconds * 1e9);
    long end = measureFrom + (long) (seconds * 1e9);
    List<CompletableFuture<Void>> chains = new ArrayList<>();
    for (Sender sender : senders) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      chains.add(done);
      vertx.runOnContext(v -> loop(sender, measureFrom, end, latency, requests, errors, done));
    }
    for (CompletableFuture<Void> chain : chains) {
      chain.get((long) (warmupSeconds + seconds) + 90, TimeUnit.SECONDS);
    }
    senders.forEach(Sender::close);
    client.close();
    grpc.close();
    return new StepResult(
        target, protocol, payloads.images, concurrency, 0, requests.get(), errors.total(), seconds, latency, errors.counts());
  }

  private void loop(
      Sender sender,
      long measureFrom,
      long end,
      Histogram latency,
      AtomicLong requests,
      Failures errors,
      CompletableFuture<Void> done) {
    long sent = System.nanoTime();
    if (sent >= end) {
      done.complete(null);
      return;
    }
    sender
        .send()
        .onComplete(
            result -> {
              long now = System.nanoTime();
              if (now >= measureFrom && now <= end) {
                if (result.succeeded()) {
                  requests.incrementAndGet();
                  latency.recordValue(Math.min(MAX_LATENCY_MICROS, (now - sent) / 1000));
                } else {
                  errors.add(result.cause());
                }
              }
              loop(sender, measureFrom, end, latency, requests, errors, done);
            });
  }

  /**
   * Offers {@code rate} requests per second for the duration, whatever the server does, and
   * measures each from the moment it was due (no coordinated omission).
   */
  StepResult openLoop(String target, Protocol protocol, Payloads payloads, double rate, double seconds, int connections)
      throws Exception {
    HttpClient client = httpClient(connections);
    Sender sender = httpSender(client, protocol, payloads);
    // The pool's connections are opened before the clock starts (one request on each), so the
    // first requests of the step do not wait for TCP handshakes and new server-side pipelines.
    List<Future<Void>> opening = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      opening.add(sender.send());
    }
    Future.join(opening).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Histogram latency = new ConcurrentHistogram(MAX_LATENCY_MICROS, 3);
    AtomicLong requests = new AtomicLong();
    Failures errors = new Failures();
    AtomicLong outstanding = new AtomicLong();
    long total = (long) (rate * seconds);
    long start = System.nanoTime();
    Promise<Void> finished = Promise.promise();
    long[] issued = {0};
    vertx.setPeriodic(
        1,
        timer -> {
          long now = System.nanoTime();
          long due = Math.min(total, (long) ((now - start) / 1e9 * rate));
          while (issued[0] < due) {
            long intended = start + (long) (issued[0] / rate * 1e9);
            issued[0]++;
            if (outstanding.get() > connections * 64L) {
              errors.add("not sent: " + connections * 64L + " requests already outstanding");
              continue;
            }
            outstanding.incrementAndGet();
            sender
                .send()
                .onComplete(
                    result -> {
                      outstanding.decrementAndGet();
                      if (result.succeeded()) {
                        requests.incrementAndGet();
                        latency.recordValue(
                            Math.min(MAX_LATENCY_MICROS, (System.nanoTime() - intended) / 1000));
                      } else {
                        errors.add(result.cause());
                      }
                    });
          }
          if (issued[0] >= total) {
            vertx.cancelTimer(timer);
            finished.complete();
          }
        });
    finished.future().toCompletionStage().toCompletableFuture().get((long) seconds + 60, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    client.close();
    for (long i = outstanding.get(); i > 0; i--) {
      errors.add("no answer 30 s after the step");
    }
    return new StepResult(
        target, protocol, payloads.images, 0, rate, requests.get(), errors.total(), seconds, latency, errors.counts());
  }

  int port() {
    return port;
  }

}
