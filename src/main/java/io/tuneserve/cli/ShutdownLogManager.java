package io.tuneserve.cli;

import java.util.logging.LogManager;

/**
 * java.util.logging's manager, except that the JVM's shutdown does not silence it: the JDK resets
 * logging in a shutdown hook of its own, which would drop what the server logs while it drains and
 * leaves the cluster. The server resets it once its own shutdown is done.
 */
public final class ShutdownLogManager extends LogManager {
  private volatile boolean serverStopped;

  @Override
  public void reset() {
    if (serverStopped || !shuttingDown()) {
      super.reset();
    }
  }

  /** Called once the server has stopped: logging may end now. */
  public void serverStopped() {
    serverStopped = true;
    super.reset();
  }

  private static boolean shuttingDown() {
    try {
      Thread probe = new Thread(() -> {});
      Runtime.getRuntime().addShutdownHook(probe);
      Runtime.getRuntime().removeShutdownHook(probe);
      return false;
    } catch (IllegalStateException alreadyShuttingDown) {
      return true;
    }
  }
}
