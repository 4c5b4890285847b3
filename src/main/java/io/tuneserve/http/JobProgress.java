package io.tuneserve.http;

import io.tuneserve.model.ServingException;
import io.tuneserve.training.JobBoard;
import io.tuneserve.training.JobDocument;
import io.tuneserve.training.JobState;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A job's progress, live, from whichever node runs it: Server-Sent Events or a WebSocket, one
 * message with the whole job document after every change, ending when the job ends (or when this
 * server shuts down).
 */
final class JobProgress {
  private final JobBoard board;
  private final OpenStreams streams;

  JobProgress(JobBoard board, OpenStreams streams) {
    this.board = board;
    this.streams = streams;
  }

  /** Server-Sent Events: one {@code job} event with the whole job after every change. */
  void streamEvents(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    HttpServerResponse response =
        ctx.response()
            .setChunked(true)
            .putHeader("content-type", "text/event-stream")
            .putHeader("cache-control", "no-cache");
    follow(
        ctx,
        id,
        (document, stop) -> {
          if (response.ended() || response.closed()) {
            stop.run();
            return;
          }
          response.write("event: job\ndata: " + document + "\n\n");
          if (JobDocument.state(document).isFinal()) {
            response.end();
            stop.run();
          }
        },
        () -> {
          if (!response.ended() && !response.closed()) {
            response.end();
          }
        },
        stop -> response.closeHandler(v -> stop.run()));
  }

  /** What a follower does with each document of a job, on the request's event loop. */
  @FunctionalInterface
  private interface DocumentSink {
    void accept(String document, Runnable stop);
  }

  /**
   * Follows a job on the board once it is known to exist (else 404); {@code started} gets what
   * stops following, to call when the client goes away.
   */
  private void follow(
      RoutingContext ctx,
      String id,
      DocumentSink sink,
      Runnable endStream,
      Consumer<Runnable> started) {
    Context context = ctx.vertx().getOrCreateContext();
    ctx.vertx()
        .executeBlocking(
            () -> {
              if (board.document(id).isEmpty()) {
                throw ServingException.notFound("no job " + id);
              }
              Runnable[] stop = {() -> {}};
              Runnable[] unregister = {() -> {}};
              AtomicBoolean stopped = new AtomicBoolean();
              Runnable stopOnce =
                  () -> {
                    if (stopped.compareAndSet(false, true)) {
                      unregister[0].run();
                      ctx.vertx()
                          .executeBlocking(
                              () -> {
                                stop[0].run();
                                return null;
                              },
                              false);
                    }
                  };
              unregister[0] =
                  streams.add(
                      () ->
                          context.runOnContext(
                              v -> {
                                endStream.run();
                                stopOnce.run();
                              }));
              stop[0] =
                  board.follow(
                      id,
                      document ->
                          context.runOnContext(
                              v -> {
                                if (!stopped.get()) {
                                  sink.accept(document, stopOnce);
                                }
                              }));
              return stopOnce;
            },
            false)
        .onSuccess(started::accept)
        .onFailure(ctx::fail);
  }

  /** The same stream over a WebSocket: one text message per change, closed once the job ends. */
  void streamToWebSocket(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    ctx.request().pause();
    ctx.vertx()
        .executeBlocking(() -> board.document(id).isPresent(), false)
        .onSuccess(
            known -> {
              ctx.request().resume();
              if (!known) {
                ctx.fail(ServingException.notFound("no job " + id));
                return;
              }
              ctx.request()
                  .toWebSocket()
                  .onSuccess(socket -> followOnSocket(ctx, id, socket))
                  .onFailure(ctx::fail);
            })
        .onFailure(ctx::fail);
  }

  private void followOnSocket(RoutingContext ctx, String id, ServerWebSocket socket) {
    follow(
        ctx,
        id,
        (document, stop) -> {
          if (socket.isClosed()) {
            stop.run();
            return;
          }
          socket.writeTextMessage(document);
          JobState state = JobDocument.state(document);
          if (state.isFinal()) {
            socket.close((short) 1000, "job " + state);
            stop.run();
          }
        },
        () -> {
          if (!socket.isClosed()) {
            socket.close(InferenceSocket.CLOSE_GOING_AWAY, "the server is shutting down");
          }
        },
        stop -> socket.closeHandler(v -> stop.run()));
  }
}
