package io.tuneserve.http;

import io.tuneserve.model.RequestScope;
import io.tuneserve.model.ServingException;
import io.vertx.ext.web.RoutingContext;

/**
 * The scope of an HTTP inference request: its timeout (the {@code x-request-timeout-ms} header, or
 * Open Inference Protocol's {@code timeout} parameter in microseconds, Triton's convention), and
 * whether its connection is still open. A request that times out is answered 504 at its deadline;
 * one whose client went away is dropped before it runs.
 */
final class RequestScopes {
  static final String TIMEOUT_HEADER = "x-request-timeout-ms";
  private static final long MAX_TIMEOUT_MILLIS = 3_600_000;

  private RequestScopes() {}

  static RequestScope of(RoutingContext ctx) {
    String header = ctx.request().getHeader(TIMEOUT_HEADER);
    return of(ctx, header == null ? -1 : millis(header));
  }

  /** A scope with the OIP request's own timeout ({@link OipCodec#timeoutMillis}), if it has one. */
  static RequestScope ofOip(RoutingContext ctx, long timeoutMillis) {
    return timeoutMillis < 0 ? of(ctx) : of(ctx, timeoutMillis);
  }

  private static RequestScope of(RoutingContext ctx, long timeoutMillis) {
    RequestScope scope =
        timeoutMillis < 0
            ? RequestScope.unbounded()
            : RequestScope.unbounded().withTimeout(timeoutMillis, System.nanoTime());
    ctx.response().closeHandler(closed -> scope.clientGone());
    if (timeoutMillis >= 0) {
      long timer =
          ctx.vertx()
              .setTimer(
                  Math.max(1, timeoutMillis),
                  fired -> {
                    if (!ctx.response().ended()) {
                      Replies.error(ctx, scope.timedOut());
                    }
                  });
      ctx.addEndHandler(ended -> ctx.vertx().cancelTimer(timer));
    }
    return scope;
  }

  private static long millis(String header) {
    try {
      long millis = Long.parseLong(header.trim());
      if (millis >= 1 && millis <= MAX_TIMEOUT_MILLIS) {
        return millis;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw ServingException.invalid(
        TIMEOUT_HEADER
            + " must be a whole number of milliseconds, 1.."
            + MAX_TIMEOUT_MILLIS
            + ", got '"
            + header
            + "'");
  }
}
