package io.tuneserve.http;

import io.tuneserve.inference.InferenceResult;
import io.tuneserve.inference.InferenceService;
import io.tuneserve.model.RequestScope;
import io.tuneserve.model.ServingException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * One WebSocket connection carrying many Open Inference Protocol requests to one model.
 *
 * <p>A text message is an OIP JSON request; a binary message is a 4-byte little-endian length, that
 * many bytes of JSON header, then the raw tensors as in the binary tensor extension. Every request
 * carries a string {@code id}; replies carry it too and may come in any order. A request the model
 * rejects gets an error message {@code {"id": ..., "status": ..., "error": ...}} and the connection
 * stays open; a message that cannot be read as a request closes the connection (1007 unreadable,
 * 1008 no id, 1009 larger than the body limit; a message over twice the limit is cut off by the
 * transport before it is read).
 *
 * <p>At most {@code maxInFlight} requests of a connection are in the server at once: past it the
 * socket is not read, so a fast client is slowed by TCP instead of filling the server's memory.
 */
final class InferenceSocket {
  static final short CLOSE_UNREADABLE = 1007;
  static final short CLOSE_PROTOCOL = 1008;
  static final short CLOSE_TOO_BIG = 1009;
  static final short CLOSE_GOING_AWAY = 1001;

  private final ServerWebSocket socket;
  private final Context context;
  private final String model;
  private final Supplier<OptionalLong> version;
  private final InferenceService inference;
  private final int maxInFlight;
  private final long maxMessageBytes;
  private int inFlight;
  private boolean paused;
  private boolean closed;
  private boolean draining;
  private final OpenStreams streams;
  private Runnable unregister = () -> {};

  /** Requests of this connection not yet run are dropped once it closes. */
  private final RequestScope connection = RequestScope.unbounded();

  InferenceSocket(
      ServerWebSocket socket,
      Context context,
      String model,
      Supplier<OptionalLong> version,
      InferenceService inference,
      int maxInFlight,
      long maxMessageBytes,
      OpenStreams streams) {
    this.streams = streams;
    this.socket = socket;
    this.context = context;
    this.model = model;
    this.version = version;
    this.inference = inference;
    this.maxInFlight = maxInFlight;
    this.maxMessageBytes = maxMessageBytes;
  }

  void start() {
    unregister = streams.add(() -> context.runOnContext(v -> goAway()));
    socket.textMessageHandler(this::onText);
    socket.binaryMessageHandler(this::onBinary);
    socket.exceptionHandler(
        error -> {
          closed = true;
          connection.clientGone();
        });
    socket.closeHandler(
        done -> {
          closed = true;
          connection.clientGone();
          unregister.run();
        });
    socket.drainHandler(done -> updateReading());
  }

  private void onText(String message) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    if (tooBig(bytes.length)) {
      return;
    }
    OipCodec.WireRequest request = read(bytes, bytes.length, false);
    if (request != null) {
      submit(request, false);
    }
  }

  private void onBinary(Buffer message) {
    if (tooBig(message.length())) {
      return;
    }
    if (message.length() < 4) {
      close(CLOSE_UNREADABLE, "a binary message starts with a 4-byte header length");
      return;
    }
    long headerLength = Integer.toUnsignedLong(message.getIntLE(0));
    if (headerLength == 0 || headerLength > message.length() - 4L) {
      close(
          CLOSE_UNREADABLE,
          "header length "
              + headerLength
              + " does not fit a message of "
              + message.length()
              + " bytes");
      return;
    }
    OipCodec.WireRequest request =
        read(message.getBytes(4, message.length()), (int) headerLength, true);
    if (request != null) {
      submit(request, true);
    }
  }

  private boolean tooBig(long length) {
    if (length > maxMessageBytes) {
      close(CLOSE_TOO_BIG, "message of " + length + " bytes; the limit is " + maxMessageBytes);
      return true;
    }
    return false;
  }

  /**
   * The request in a message, or null after closing the connection for a message it cannot read.
   */
  private OipCodec.WireRequest read(byte[] body, int jsonLength, boolean binary) {
    OipCodec.WireRequest request;
    try {
      request = OipCodec.parse(body, jsonLength, binary);
    } catch (ServingException e) {
      close(CLOSE_UNREADABLE, e.getMessage());
      return null;
    }
    if (request.id() == null || request.id().isEmpty()) {
      close(CLOSE_PROTOCOL, "every request needs a string 'id'");
      return null;
    }
    return request;
  }

  /**
   * Runs one request. With a {@code timeout} parameter (microseconds) it is answered with a 504
   * error at its deadline and its queued work dropped; its answer, if it comes later, is not sent.
   */
  private void submit(OipCodec.WireRequest request, boolean binary) {
    long timeoutMillis;
    try {
      timeoutMillis = OipCodec.timeoutMillis(request.header());
    } catch (RuntimeException e) {
      sendError(request.id(), e);
      return;
    }
    RequestScope scope =
        timeoutMillis < 0 ? connection : connection.withTimeout(timeoutMillis, System.nanoTime());
    boolean[] answered = {false};
    long timer =
        timeoutMillis < 0
            ? -1
            : context
                .owner()
                .setTimer(
                    timeoutMillis,
                    fired -> {
                      if (!answered[0] && !closed) {
                        answered[0] = true;
                        sendError(request.id(), scope.timedOut());
                      }
                    });
    inFlight++;
    updateReading();
    CompletableFuture<InferenceResult> call;
    try {
      call = inference.infer(model, version.get(), view -> OipCodec.decode(view, request), scope);
    } catch (ServingException e) {
      call = CompletableFuture.failedFuture(e);
    }
    Future.fromCompletionStage(call, context)
        .map(result -> OipCodec.encode(result, request))
        .onComplete(
            done -> {
              inFlight--;
              if (timer >= 0) {
                context.owner().cancelTimer(timer);
              }
              if (!closed && !answered[0]) {
                answered[0] = true;
                if (done.succeeded()) {
                  send(done.result(), binary);
                } else {
                  sendError(request.id(), done.cause());
                }
              }
              if (draining) {
                if (inFlight == 0) {
                  close(CLOSE_GOING_AWAY, "the server is shutting down");
                }
                return;
              }
              updateReading();
            });
  }

  private void send(OipCodec.Reply reply, boolean binary) {
    if (!binary) {
      socket.writeTextMessage(reply.body().toString(StandardCharsets.UTF_8));
      return;
    }
    int headerLength = reply.headerLength() >= 0 ? reply.headerLength() : reply.body().length();
    Buffer framed = Buffer.buffer(reply.body().length() + 4).appendIntLE(headerLength);
    socket.writeBinaryMessage(framed.appendBuffer(reply.body()));
  }

  private void sendError(String id, Throwable error) {
    Replies.Failure failure = Replies.failure(error, "websocket " + model);
    socket.writeTextMessage(
        Replies.encode(
                json -> {
                  json.writeStartObject();
                  json.writeStringField("id", id);
                  json.writeNumberField("status", failure.status());
                  json.writeStringField("error", failure.message());
                  json.writeEndObject();
                })
            .toString(StandardCharsets.UTF_8));
  }

  /** Reads the socket only while the connection has room for more requests and replies. */
  private void updateReading() {
    if (closed) {
      return;
    }
    boolean full = inFlight >= maxInFlight || socket.writeQueueFull();
    if (full && !paused) {
      socket.pause();
      paused = true;
    } else if (!full && paused) {
      socket.resume();
      paused = false;
    }
  }

  /** The server is shutting down: read no more, answer what is in flight, then close with 1001. */
  private void goAway() {
    draining = true;
    if (!closed) {
      socket.pause();
      paused = true;
    }
    if (inFlight == 0) {
      close(CLOSE_GOING_AWAY, "the server is shutting down");
    }
  }

  private void close(short code, String reason) {
    if (!closed) {
      closed = true;
      socket.close(code, reason.length() > 120 ? reason.substring(0, 120) : reason);
    }
  }
}
