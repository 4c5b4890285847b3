package io.tuneserve.http;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;

/**
 * Answers requests the HTTP decoder could not read (a request line or headers over the limits, a
 * malformed request line) with a JSON error like every other rejection, then closes the connection,
 * whose stream can no longer be trusted.
 */
final class MalformedRequests implements Handler<HttpServerRequest> {
  private final int maxLineBytes;
  private final int maxHeaderBytes;

  MalformedRequests(HttpServerOptions options) {
    this.maxLineBytes = options.getMaxInitialLineLength();
    this.maxHeaderBytes = options.getMaxHeaderSize();
  }

  @Override
  public void handle(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    int status;
    String message;
    if (cause instanceof TooLongHttpLineException) {
      status = 414;
      message = "the request line is longer than " + maxLineBytes + " bytes";
    } else if (cause instanceof TooLongHttpHeaderException) {
      status = 431;
      message = "the request headers are larger than " + maxHeaderBytes + " bytes";
    } else {
      status = 400;
      message =
          "malformed HTTP request"
              + (cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }
    request.response().putHeader("connection", "close");
    Replies.error(request.response(), status, message);
    request.connection().close();
  }
}
