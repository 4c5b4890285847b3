package io.tuneserve.http;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Starts an inference call and brings its result back to the request's event loop. A call with
 * heavy decoding to do (images, large JSON trees) starts on a worker thread instead, so the event
 * loop never decodes an image.
 */
final class Calls {
  private Calls() {}

  static <T> Future<T> start(
      RoutingContext ctx, boolean heavy, Supplier<CompletableFuture<T>> call) {
    Context context = ctx.vertx().getOrCreateContext();
    if (!heavy) {
      return Future.fromCompletionStage(call.get(), context);
    }
    return ctx.vertx()
        .executeBlocking(call::get, false)
        .compose(started -> Future.fromCompletionStage(started, context));
  }
}
