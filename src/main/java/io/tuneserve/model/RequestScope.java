package io.tuneserve.model;

/**
 * How long a request is worth computing: until its deadline, if it has one, and while its client is
 * still there. Work for a request out of scope is dropped before it runs.
 */
public final class RequestScope {
  private final long deadlineNanos;
  private final long timeoutMillis;
  private final RequestScope parent;
  private volatile String ended;

  private RequestScope(long deadlineNanos, long timeoutMillis, RequestScope parent) {
    this.deadlineNanos = deadlineNanos;
    this.timeoutMillis = timeoutMillis;
    this.parent = parent;
  }

  /** A request with no deadline. */
  public static RequestScope unbounded() {
    return new RequestScope(Long.MAX_VALUE, 0, null);
  }

  /**
   * A request within this scope (one message of a WebSocket connection, say) that must also run
   * within {@code timeoutMillis} of {@code nowNanos}.
   */
  public RequestScope withTimeout(long timeoutMillis, long nowNanos) {
    return new RequestScope(nowNanos + timeoutMillis * 1_000_000, timeoutMillis, this);
  }

  /** The client went away: nobody will read the answer. */
  public void clientGone() {
    if (ended == null) {
      ended = "the client went away";
    }
  }

  /**
   * Why the request should not run any more at {@code nowNanos}, as a failure to complete it with;
   * null while it should.
   */
  public ServingException stopped(long nowNanos) {
    ServingException outer = parent == null ? null : parent.stopped(nowNanos);
    if (outer != null) {
      return outer;
    }
    String reason = ended;
    if (reason != null) {
      return ServingException.unavailable("dropped: " + reason);
    }
    if (deadlineNanos != Long.MAX_VALUE && nowNanos - deadlineNanos >= 0) {
      return timedOut();
    }
    return null;
  }

  /**
   * The Open Inference Protocol's {@code timeout} parameter (microseconds, Triton's convention) in
   * whole milliseconds, rounded up.
   *
   * @throws ServingException (invalid) unless it is positive
   */
  public static long timeoutMillisOfMicros(long micros) {
    if (micros < 1) {
      throw ServingException.invalid(
          "parameter 'timeout' must be a positive whole number of microseconds");
    }
    // A timeout of centuries is no timeout, but must not overflow a deadline in nanoseconds.
    return Math.min(micros / 1000 + (micros % 1000 == 0 ? 0 : 1), Long.MAX_VALUE / 4_000_000);
  }

  /** The failure of a request whose timeout passed. */
  public ServingException timedOut() {
    return new ServingException(
        ErrorKind.DEADLINE_EXCEEDED,
        "the request's timeout of " + timeoutMillis + " ms passed before it could run");
  }
}
