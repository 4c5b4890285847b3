package io.tuneserve.http;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.tuneserve.model.ErrorKind;
import io.tuneserve.model.ServingException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.CompletionException;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Writes JSON replies and maps failures to status codes: the one place that does either. */
final class Replies {
  private static final Logger LOG = Logger.getLogger(Replies.class.getName());
  static final JsonFactory JSON = new JsonFactory();
  static final String JSON_TYPE = "application/json";

  private Replies() {}

  /** Writes JSON into a buffer. */
  @FunctionalInterface
  interface JsonBody {
    void write(JsonGenerator json) throws IOException;
  }

  static Buffer encode(JsonBody body) {
    Buffer buffer = Buffer.buffer(256);
    try (OutputStream out = new BufferOutputStream(buffer);
        JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      body.write(json);
    } catch (IOException e) {
      throw new ServingException(ErrorKind.INTERNAL, "cannot encode the reply", e);
    }
    return buffer;
  }

  static void json(RoutingContext ctx, int status, JsonBody body) {
    send(ctx, status, encode(body));
  }

  /** Writes a value computed off the event loop as JSON. */
  @FunctionalInterface
  interface JsonOf<T> {
    void write(JsonGenerator json, T value) throws IOException;
  }

  /**
   * Computes a value on a worker thread (for calls that block, on the cluster for instance), then
   * replies with it as JSON from the request's event loop; a failure becomes the error reply.
   */
  static <T> void jsonFromWorker(
      RoutingContext ctx, int status, java.util.concurrent.Callable<T> work, JsonOf<T> body) {
    ctx.vertx()
        .executeBlocking(work, false)
        .onSuccess(value -> json(ctx, status, json -> body.write(json, value)))
        .onFailure(ctx::fail);
  }

  static void send(RoutingContext ctx, int status, Buffer encoded) {
    send(ctx.response(), status, encoded);
  }

  static void send(HttpServerResponse response, int status, Buffer encoded) {
    if (response.ended()) {
      return;
    }
    response.setStatusCode(status).putHeader("content-type", JSON_TYPE).end(encoded);
  }

  static int status(ErrorKind kind) {
    return switch (kind) {
      case INVALID_ARGUMENT -> 400;
      case NOT_FOUND -> 404;
      case UNAVAILABLE -> 503;
      case CONFLICT -> 409;
      case DEADLINE_EXCEEDED -> 504;
      case OVERLOADED -> 429;
      case INTERNAL -> 500;
    };
  }

  /** A failure as the client sees it: a status code and a message safe to show. */
  record Failure(int status, String message) {}

  /** Maps any failure to its status and message, logging the ones that are the server's fault. */
  static Failure failure(Throwable failure, String where) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof ServingException serving) {
      if (serving.kind() == ErrorKind.INTERNAL) {
        LOG.log(Level.WARNING, "internal error on " + where, serving);
      }
      return new Failure(status(serving.kind()), serving.getMessage());
    }
    LOG.log(Level.SEVERE, "unexpected failure on " + where, cause);
    return new Failure(500, "internal error");
  }

  /** Replies {@code {"error": "..."}} with the status the failure's kind maps to. */
  static void error(RoutingContext ctx, Throwable failure) {
    Failure mapped = failure(failure, ctx.request().path());
    error(ctx, mapped.status(), mapped.message());
  }

  static void error(RoutingContext ctx, int status, String message) {
    error(ctx.response(), status, message);
  }

  static void error(HttpServerResponse response, int status, String message) {
    if (status == 429) {
      response.putHeader("retry-after", "1");
    }
    send(
        response,
        status,
        encode(
            json -> {
              json.writeStartObject();
              json.writeStringField("error", message == null ? "unknown error" : message);
              json.writeEndObject();
            }));
  }

  /** An OutputStream that appends to a Vert.x buffer. */
  private static final class BufferOutputStream extends OutputStream {
    private final Buffer buffer;

    BufferOutputStream(Buffer buffer) {
      this.buffer = buffer;
    }

    @Override
    public void write(int b) {
      buffer.appendByte((byte) b);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
      buffer.appendBytes(bytes, offset, length);
    }
  }
}
