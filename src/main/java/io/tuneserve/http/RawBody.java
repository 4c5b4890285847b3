package io.tuneserve.http;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Collects the request body as raw bytes up to a limit (413 beyond it), whatever its content type:
 * model APIs never take form fields, and clients such as {@code curl -d} label JSON as a form.
 */
final class RawBody implements Handler<RoutingContext> {
  private static final String KEY = "tuneserve.body";
  private final long limit;

  RawBody(long limit) {
    this.limit = limit;
  }

  private static final byte[] EMPTY = new byte[0];

  /** The collected body; empty when the request had none. */
  static Buffer of(RoutingContext ctx) {
    return Buffer.buffer(bytes(ctx));
  }

  /** The collected body's bytes, exactly as long as the body (not a copy: do not change them). */
  static byte[] bytes(RoutingContext ctx) {
    byte[] body = ctx.get(KEY);
    return body == null ? EMPTY : body;
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    long declared = -1;
    if (length != null) {
      try {
        declared = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        ctx.fail(
            io.tuneserve.model.ServingException.invalid(
                "content-length '" + length + "' is not a number"));
        return;
      }
      if (declared > limit) {
        ctx.fail(413);
        return;
      }
    }
    if (request.isEnded()) {
      ctx.next();
      return;
    }
    Collector body = declared >= 0 ? new Sized((int) declared) : new Growing();
    boolean[] failed = {false};
    request
        .handler(
            chunk -> {
              if (failed[0]) {
                return;
              }
              if (body.length() + (long) chunk.length() > limit) {
                failed[0] = true;
                ctx.fail(413);
              } else {
                body.append(chunk);
              }
            })
        .endHandler(
            end -> {
              if (!failed[0]) {
                ctx.put(KEY, body.bytes());
                ctx.next();
              }
            })
        .resume();
  }

  /** Where the chunks of a body go. */
  private interface Collector {
    long length();

    void append(Buffer chunk);

    byte[] bytes();
  }

  /** A body of a declared length: one array of that length, each chunk copied in once. */
  private static final class Sized implements Collector {
    private final byte[] bytes;
    private int length;

    Sized(int declared) {
      bytes = new byte[declared];
    }

    @Override
    public long length() {
      return length;
    }

    @Override
    public void append(Buffer chunk) {
      chunk.getBytes(0, chunk.length(), bytes, length);
      length += chunk.length();
    }

    @Override
    public byte[] bytes() {
      return length == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, length);
    }
  }

  /** A chunked body of unknown length, gathered in a growing buffer. */
  private static final class Growing implements Collector {
    private final Buffer buffer = Buffer.buffer();

    @Override
    public long length() {
      return buffer.length();
    }

    @Override
    public void append(Buffer chunk) {
      buffer.appendBuffer(chunk);
    }

    @Override
    public byte[] bytes() {
      return buffer.getBytes();
    }
  }
}
