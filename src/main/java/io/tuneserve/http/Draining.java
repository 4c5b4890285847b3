package io.tuneserve.http;

/**
 * Whether the server is shutting down: from then on readiness answers 503, so load balancers stop
 * sending requests while those in flight finish.
 */
public final class Draining {
  private volatile boolean started;

  public void start() {
    started = true;
  }

  public boolean started() {
    return started;
  }
}
