package io.tuneserve.http;

import io.tuneserve.grpc.GrpcApi;
import io.tuneserve.inference.InferenceService;
import io.tuneserve.metrics.ServingMetrics;
import io.tuneserve.serving.ModelManager;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The HTTP front: routes every API to its handler on the event loop. Handlers only decode and
 * encode; model execution happens on the inference worker threads.
 */
public final class HttpVerticle extends VerticleBase {
  /** Bytes a client may send on one HTTP/2 stream before the server acknowledges them. */
  private static final int HTTP2_STREAM_WINDOW = 1 << 20;

  /** Bytes a client may send on one HTTP/2 connection, all streams together, likewise. */
  private static final int HTTP2_CONNECTION_WINDOW = 16 << 20;

  private final HttpSettings settings;
  private final InferenceService inference;
  private final ModelManager manager;
  private final ServingMetrics metrics;

  private final ServerParts parts;
  private HttpServer server;
  private final OpenStreams streams = new OpenStreams();

  public HttpVerticle(HttpSettings settings, ServerParts parts) {
    this.settings = settings;
    this.parts = parts;
    this.inference = parts.inference();
    this.manager = parts.manager();
    this.metrics = parts.metrics();
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    HealthApi health = new HealthApi(parts.node(), parts.draining(), parts.prometheus());
    TokenGuard tokens = new TokenGuard(settings.tokens(), settings.protectInference());
    // gRPC calls go to the gRPC server before anything reads their bodies as HTTP requests do.
    Handler<HttpServerRequest> grpc =
        GrpcApi.server(
            vertx,
            inference,
            manager,
            health::ready,
            tokens::inferenceRefusal,
            tokens::refusal,
            parts.serverVersion(),
            settings.maxBodyBytes(),
            settings.maxInFlightPerSocket(),
            streams::add,
            this::recordRequest);
    router
        .route()
        .handler(
            ctx -> {
              if (GrpcApi.isGrpc(ctx.request())) {
                grpc.handle(ctx.request());
              } else {
                ctx.next();
              }
            });
    router.route().handler(this::recordMetrics);
    router.route().handler(tokens);
    OipApi oip = new OipApi(inference, manager, parts.serverVersion());
    oip.mountWebSocket(router, settings.maxInFlightPerSocket(), settings.maxBodyBytes(), streams);
    JobsApi jobsApi =
        new JobsApi(
            parts.jobs(),
            parts.board(),
            node ->
                java.util.Optional.ofNullable(parts.publisher().registry().nodes().get(node))
                    .map(io.tuneserve.registry.NodeRecord::http),
            parts.jobRequests(),
            settings.maxBodyBytes(),
            streams);
    jobsApi.mountWebSocket(router);
    new DatasetsApi(parts.datasets(), settings.maxUploadBytes(), settings.maxBodyBytes())
        .mount(router);
    router.route().handler(new RawBody(settings.maxBodyBytes()));
    new LabelsApi(manager.labels(), parts.publisher().registry()).mount(router);
    new RolloutApi(parts.rollouts(), parts.publisher().registry()).mount(router);
    new FeedbackApi(
            parts.feedback(),
            parts.datasets(),
            manager,
            parts.continual(),
            settings.maxImagePixels())
        .mount(router);
    // Vert.x Web tries routes in order and matches each regex path before its method, so the
    // inference routes, which take nearly every request, come first.
    oip.mount(router);
    new TfServingApi(inference, manager, settings.maxImagePixels()).mount(router);
    health.mount(router);
    new ImageApi(inference, manager, settings.maxImagePixels(), parts.feedback()).mount(router);
    new TfServingExamplesApi(inference, manager).mount(router);
    new LayersApi(manager).mount(router);
    new EvaluationApi(manager).mount(router);
    new EvaluateApi(inference, manager, parts.datasets(), settings.maxImagePixels()).mount(router);
    new ManagementApi(manager, parts.node()::refresh).mount(router);
    new RegistryApi(parts.publisher(), parts.rollouts()).mount(router);
    router.get("/").handler(ctx -> ctx.redirect("/console/"));
    router.get("/console/*").handler(StaticHandler.create("console").setCachingEnabled(false));
    jobsApi.mount(router);
    router
        .route()
        .last()
        .handler(
            ctx ->
                Replies.error(
                    ctx,
                    404,
                    "no endpoint " + ctx.request().method() + " " + ctx.request().path()));
    router.route().failureHandler(this::failed);
    // Messages up to twice the limit are read so the socket can close with 1009 and a reason.
    int frameLimit = (int) Math.min(Integer.MAX_VALUE, 2 * settings.maxBodyBytes());
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(settings.host())
            .setPort(settings.port())
            .setCompressionSupported(false)
            .setMaxWebSocketFrameSize(frameLimit)
            .setMaxWebSocketMessageSize(frameLimit)
            .setTcpNoDelay(true)
            // HTTP/2's default windows (64 KiB per connection) stall a client with many calls
            // in flight on one connection, as gRPC clients have; the stream's is grpc-java's.
            .setInitialSettings(new Http2Settings().setInitialWindowSize(HTTP2_STREAM_WINDOW))
            .setHttp2ConnectionWindowSize(HTTP2_CONNECTION_WINDOW);
    if (!settings.tlsCertFile().isBlank()) {
      // ALPN offers HTTP/2 beside HTTP/1.1, which gRPC over TLS needs.
      options
          .setSsl(true)
          .setUseAlpn(true)
          .setKeyCertOptions(
              new PemKeyCertOptions()
                  .setCertPath(settings.tlsCertFile())
                  .setKeyPath(settings.tlsKeyFile()));
    }
    server = vertx.createHttpServer(options);
    return server
        .requestHandler(router)
        .invalidRequestHandler(new MalformedRequests(options))
        .listen();
  }

  private void failed(RoutingContext ctx) {
    if (ctx.failure() != null) {
      Replies.error(ctx, ctx.failure());
    } else if (ctx.statusCode() == 413) {
      Replies.error(
          ctx,
          413,
          "the request body is larger than the limit of " + settings.maxBodyBytes() + " bytes");
    } else {
      Replies.error(ctx, ctx.statusCode(), "request failed with status " + ctx.statusCode());
    }
  }

  private void recordMetrics(RoutingContext ctx) {
    long start = System.nanoTime();
    ctx.addEndHandler(
        done -> {
          String path = ctx.normalizedPath();
          String api = apiOf(path);
          if (api == null) {
            return;
          }
          recordRequest(
              api,
              ctx.pathParam("model"),
              ctx.pathParam("version"),
              ctx.response().getStatusCode(),
              System.nanoTime() - start);
        });
    ctx.next();
  }

  /** Counts a request; models the node does not know are counted without a name. */
  private void recordRequest(String api, String model, String version, int status, long nanos) {
    boolean known = model != null && !model.isEmpty() && manager.knows(model);
    metrics.request(
        api, known ? model : "", known && version != null ? version : "", status, nanos);
  }

  private static String apiOf(String path) {
    if (path.endsWith(":classify-image")) {
      return ImageApi.API;
    }
    if (path.startsWith("/v1/datasets")) {
      return DatasetsApi.API;
    }
    if (path.startsWith("/v1/jobs")) {
      return JobsApi.API;
    }
    if (path.startsWith("/v1/")) {
      return TfServingApi.API;
    }
    if (path.startsWith("/v2/repository")) {
      return ManagementApi.API;
    }
    if (path.startsWith("/v2/models")) {
      return OipApi.API;
    }
    return null;
  }

  /**
   * Stops accepting connections and lets the requests in flight finish, for at most {@code
   * timeout}; then closes what is left.
   */
  public Future<Void> shutdown(java.time.Duration timeout) {
    streams.endAll();
    return server.shutdown(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** The port the server listens on (useful when configured as 0). */
  public int actualPort() {
    return server.actualPort();
  }
}
