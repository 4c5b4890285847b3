package io.tuneserve.http;

import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ServedVersion;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Consumer;

/** The served version a request path names, held while a handler reads it. */
final class NamedVersion {
  private NamedVersion() {}

  /**
   * Runs {@code read} with the version the path's model and optional version name; the version
   * cannot be unloaded until it returns.
   */
  static void read(ModelManager manager, RoutingContext ctx, Consumer<ServedVersion> read) {
    ServedVersion served = manager.acquire(PathParams.model(ctx), PathParams.version(ctx, manager));
    try {
      read.accept(served);
    } finally {
      served.release();
    }
  }
}
