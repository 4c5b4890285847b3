package io.tuneserve.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A client for tuneserve's WebSocket inference endpoint ({@code /v2/models/{m}/infer/ws}): many
 * requests over one connection, replies matched to requests by their {@code id}.
 *
 * <p>Text requests are Open Inference Protocol JSON; binary requests are a 4-byte little-endian
 * header length, the JSON header, then the raw tensors (see README). Safe to use from any thread.
 */
public final class InferenceSocketClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final WebSocketClient client;
  private final WebSocket socket;
  private final Map<String, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
  private volatile String closeReason;

  /**
   * A reply: its JSON header and, for binary replies, the tensor bytes that followed it.
   *
   * @param tensors empty for text replies
   */
  public record Reply(JsonNode header, byte[] tensors) {
    public Reply {
      tensors = tensors.clone();
    }

    @Override
    public byte[] tensors() {
      return tensors.clone();
    }
  }

  /** A request the server answered with an error message. */
  public static final class InferenceError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    InferenceError(int status, String message) {
      super(message);
      this.status = status;
    }

    /** The HTTP status the same error would have had. */
    public int status() {
      return status;
    }
  }

  private InferenceSocketClient(WebSocketClient client, WebSocket socket) {
    this.client = client;
    this.socket = socket;
    socket.textMessageHandler(text -> onReply(text.getBytes(StandardCharsets.UTF_8), -1));
    socket.binaryMessageHandler(
        frame -> onReply(frame.getBytes(4, frame.length()), frame.getIntLE(0)));
    socket.closeHandler(
        done -> {
          String reason = socket.closeReason();
          Short code = socket.closeStatusCode();
          closeReason =
              "connection closed" + (code == null ? "" : " (" + code + " " + reason + ")");
          failPending(new IllegalStateException(closeReason));
        });
  }

  /** Connects to a model (and version, if not null) of the server at host:port. */
  public static Future<InferenceSocketClient> connect(
      Vertx vertx, String host, int port, String model, Long version) {
    return open(
        vertx,
        host,
        port,
        "/v2/models/" + model + (version == null ? "" : "/versions/" + version) + "/infer/ws");
  }

  /**
   * Connects to the version a label names, of a model of the server at host:port: each request goes
   * to the version the label names when it arrives.
   */
  public static Future<InferenceSocketClient> connectToLabel(
      Vertx vertx, String host, int port, String model, String label) {
    return open(vertx, host, port, "/v2/models/" + model + "/labels/" + label + "/infer/ws");
  }

  private static Future<InferenceSocketClient> open(
      Vertx vertx, String host, int port, String path) {
    WebSocketClient client =
        vertx.createWebSocketClient(
            new WebSocketClientOptions()
                .setMaxFrameSize(64 * 1024 * 1024)
                .setMaxMessageSize(64 * 1024 * 1024));
    return client
        .connect(new WebSocketConnectOptions().setHost(host).setPort(port).setURI(path))
        .map(socket -> new InferenceSocketClient(client, socket));
  }

  /** Sends an OIP JSON request, which must carry a string "id". */
  public CompletableFuture<Reply> infer(String requestJson) {
    String id = idOf(requestJson.getBytes(StandardCharsets.UTF_8), requestJson.length());
    CompletableFuture<Reply> reply = expect(id);
    socket.writeTextMessage(requestJson).onFailure(reply::completeExceptionally);
    return reply;
  }

  /** Sends a binary request: a JSON header (with a string "id") and the tensors it describes. */
  public CompletableFuture<Reply> inferBinary(String headerJson, byte[] tensors) {
    byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
    CompletableFuture<Reply> reply = expect(idOf(header, header.length));
    Buffer frame =
        Buffer.buffer(4 + header.length + tensors.length)
            .appendIntLE(header.length)
            .appendBytes(header)
            .appendBytes(tensors);
    socket.writeBinaryMessage(frame).onFailure(reply::completeExceptionally);
    return reply;
  }

  /** Sends raw bytes as one binary message, whatever they hold (for testing the server). */
  public Future<Void> sendRawBinary(byte[] bytes) {
    return socket.writeBinaryMessage(Buffer.buffer(bytes));
  }

  /** Sends raw text as one message, whatever it holds (for testing the server). */
  public Future<Void> sendRawText(String text) {
    return socket.writeTextMessage(text);
  }

  /** Completes when the server closes the connection, with its close code. */
  public CompletableFuture<Short> closed() {
    CompletableFuture<Short> closed = new CompletableFuture<>();
    socket.closeHandler(
        done -> {
          closeReason = "connection closed (" + socket.closeStatusCode() + ")";
          failPending(new IllegalStateException(closeReason));
          closed.complete(socket.closeStatusCode());
        });
    if (socket.isClosed()) {
      closed.complete(socket.closeStatusCode());
    }
    return closed;
  }

  private CompletableFuture<Reply> expect(String id) {
    CompletableFuture<Reply> reply = new CompletableFuture<>();
    if (closeReason != null) {
      reply.completeExceptionally(new IllegalStateException(closeReason));
      return reply;
    }
    if (pending.putIfAbsent(id, reply) != null) {
      reply.completeExceptionally(
          new IllegalArgumentException("id " + id + " is already in flight"));
    }
    return reply;
  }

  private static String idOf(byte[] json, int length) {
    try {
      JsonNode id = JSON.readTree(json, 0, length).get("id");
      if (id == null || !id.isTextual()) {
        throw new IllegalArgumentException("a request needs a string \"id\"");
      }
      return id.textValue();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void onReply(byte[] payload, int headerLength) {
    int jsonLength = headerLength < 0 ? payload.length : Math.min(headerLength, payload.length);
    JsonNode header;
    try {
      header = JSON.readTree(payload, 0, jsonLength);
    } catch (IOException e) {
      failPending(new IllegalStateException("unreadable reply: " + e.getMessage()));
      return;
    }
    CompletableFuture<Reply> reply = pending.remove(header.path("id").asText());
    if (reply == null) {
      return;
    }
    if (header.has("error")) {
      reply.completeExceptionally(
          new InferenceError(header.path("status").asInt(500), header.get("error").asText()));
    } else {
      reply.complete(new Reply(header, Arrays.copyOfRange(payload, jsonLength, payload.length)));
    }
  }

  private void failPending(Throwable error) {
    pending.values().forEach(reply -> reply.completeExceptionally(error));
    pending.clear();
  }

  /** Requests sent and not yet answered. */
  public int inFlight() {
    return pending.size();
  }

  @Override
  public void close() {
    socket.close();
    client.close();
  }
}
