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

  /** The collected body; empty when the request had none. */
  static Buffer of(RoutingContext ctx) {
    Buffer body = ctx.get(KEY);
    return body == null ? Buffer.buffer() : body;
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null) {
      try {
        if (Long.parseLong(length.trim()) > limit) {
          ctx.fail(413);
          return;
        }
      } catch (NumberFormatException e) {
        ctx.fail(
            io.tuneserve.model.ServingException.invalid(
                "content-length '" + length + "' is not a number"));
        return;
      }
    }
    if (request.isEnded()) {
      ctx.next();
      return;
    }
    Buffer body = Buffer.buffer();
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
                body.appendBuffer(chunk);
              }
            })
        .endHandler(
            end -> {
              if (!failed[0]) {
                ctx.put(KEY, body);
                ctx.next();
              }
            })
        .resume();
  }
}
