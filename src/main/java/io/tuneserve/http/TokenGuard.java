package io.tuneserve.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Set;

/**
 * Lets a request through to a guarded API only with one of the configured bearer tokens.
 * Fine-tuning, repository and registry APIs are guarded whenever tokens are configured; inference
 * only when asked; health, server metadata and metrics never. Tokens are compared by their sha256
 * in constant time.
 */
final class TokenGuard implements Handler<RoutingContext> {
  private final List<byte[]> accepted;
  private final boolean inference;

  TokenGuard(Set<String> tokens, boolean protectInference) {
    this.accepted = tokens.stream().map(TokenGuard::sha256).toList();
    this.inference = protectInference;
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (accepted.isEmpty() || !guarded(ctx.request().method(), ctx.normalizedPath())) {
      ctx.next();
      return;
    }
    String token = presented(ctx);
    if (token == null) {
      refuse(ctx, "this endpoint needs a token: Authorization: Bearer <token>");
    } else if (!accepts(token)) {
      refuse(ctx, "the token is not valid");
    } else {
      ctx.next();
    }
  }

  private boolean guarded(io.vertx.core.http.HttpMethod method, String path) {
    if (path.startsWith("/v1/models/")
        && (path.contains("/labels/") || path.endsWith("/rollout") || path.endsWith("/continual"))
        && !path.contains(":")
        && method != io.vertx.core.http.HttpMethod.GET) {
      return true; // labels and rollout settings change what every client gets
    }
    if (path.startsWith("/v2/health/") || path.equals("/metrics") || path.equals("/v2")) {
      return false;
    }
    if (path.startsWith("/v2/models/") && path.endsWith("/evaluate")) {
      return true; // reads stored datasets, which are guarded
    }
    if (path.startsWith("/v1/models/") || path.startsWith("/v2/models/")) {
      return inference;
    }
    return path.startsWith("/v1/") || path.startsWith("/v2/");
  }

  /**
   * Why a gRPC model call (inference, metadata, status) presenting this {@code authorization}
   * metadata (or null) is refused, or null when it may go on: the rule of the HTTP inference APIs.
   */
  String inferenceRefusal(String authorization) {
    return inference ? refusal(authorization) : null;
  }

  /**
   * Why a gRPC repository call (load, unload, index) presenting this {@code authorization} is
   * refused, or null when it may go on: the rule of the HTTP repository API.
   */
  String refusal(String authorization) {
    if (accepted.isEmpty()) {
      return null;
    }
    String token = bearer(authorization);
    if (token == null) {
      return "this call needs a token: authorization: Bearer <token>";
    }
    return accepts(token) ? null : "the token is not valid";
  }

  /** The token a request presents, from its Authorization header or access_token; or null. */
  static String presented(RoutingContext ctx) {
    String token = bearer(ctx.request().getHeader("authorization"));
    return token != null ? token : ctx.request().getParam("access_token");
  }

  /** The token of an {@code Authorization: Bearer <token>} header, or null. */
  private static String bearer(String header) {
    return header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
        ? header.substring(7).strip()
        : null;
  }

  private boolean accepts(String token) {
    byte[] presented = sha256(token);
    boolean match = false;
    for (byte[] candidate : accepted) {
      match |= MessageDigest.isEqual(candidate, presented);
    }
    return match;
  }

  private static void refuse(RoutingContext ctx, String message) {
    ctx.response().putHeader("www-authenticate", "Bearer");
    Replies.error(ctx, 401, message);
  }

  private static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
