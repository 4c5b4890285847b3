package io.tuneserve.http;

import io.tuneserve.training.JobBoard;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.function.Function;

/**
 * Hands a job request this node has no training thread for to a node that has one, and relays that
 * node's answer. A handed-over request carries a header so it is never passed on again.
 */
final class JobHandOver {
  /** Marks a job request one node handed to another. */
  static final String HANDED_OVER = "x-tuneserve-handed-over-by";

  private final JobBoard board;
  private final Function<String, Optional<String>> nodeUrls;
  private HttpClient nodeClient;

  JobHandOver(JobBoard board, Function<String, Optional<String>> nodeUrls) {
    this.board = board;
    this.nodeUrls = nodeUrls;
  }

  /** The base URL of a node that could start a job at once (blocks: call off the event loop). */
  Optional<String> nodeWithCapacity() {
    return board.nodesWithCapacity().stream().map(nodeUrls).flatMap(Optional::stream).findFirst();
  }

  /** Sends the request to another node's jobs API and relays its answer. */
  void send(
      RoutingContext ctx, String url, byte[] bytes, String contentType, Runnable unreachable) {
    RequestOptions request =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setAbsoluteURI(url + "/v1/jobs")
            .putHeader(HANDED_OVER, board.nodeId());
    if (contentType != null) {
      request.putHeader("content-type", contentType);
    }
    String token = TokenGuard.presented(ctx);
    if (token != null) {
      request.putHeader("authorization", "Bearer " + token);
    }
    nodes(ctx)
        .request(request)
        .compose(call -> call.send(Buffer.buffer(bytes)))
        .compose(
            response ->
                response
                    .body()
                    .map(
                        body -> {
                          String location = response.getHeader("location");
                          if (location != null) {
                            ctx.response().putHeader("location", location);
                          }
                          Replies.send(ctx, response.statusCode(), body);
                          return body;
                        }))
        .onFailure(error -> unreachable.run());
  }

  private HttpClient nodes(RoutingContext ctx) {
    if (nodeClient == null) {
      nodeClient = ctx.vertx().createHttpClient();
    }
    return nodeClient;
  }
}
