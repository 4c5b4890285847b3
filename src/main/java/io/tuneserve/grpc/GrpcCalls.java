package io.tuneserve.grpc;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import io.netty.buffer.ByteBuf;
import io.tuneserve.metrics.RequestRecorder;
import io.tuneserve.model.RequestScope;
import io.tuneserve.model.ServingException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.WireFormat;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One unary call: its message handed to the method with the call's scope (its deadline, and whether
 * the client is still there), the answer sent once, and failures sent as the gRPC status that means
 * them, with a message. A call whose deadline passes is answered DEADLINE_EXCEEDED then, and its
 * work, if it has not run yet, is dropped; a call the client cancels is dropped too.
 */
final class GrpcCalls {
  private static final Logger LOG = Logger.getLogger(GrpcCalls.class.getName());

  /** The API name under which TF Serving's gRPC calls are counted. */
  static final String TF_SERVING_API = "tfserving_grpc";

  /** The API name under which the Open Inference Protocol's model calls are counted. */
  static final String OIP_API = "oip_grpc";

  /** The API name under which repository calls are counted. */
  static final String MANAGEMENT_API = "management_grpc";

  private final Vertx vertx;
  private final UnaryOperator<String> inferenceRefusal;
  private final UnaryOperator<String> managementRefusal;
  private final RequestRecorder requests;

  /**
   * @param inferenceRefusal why a model call with the given {@code authorization} metadata (or
   *     null) may not run; null when it may
   * @param managementRefusal the same for repository calls
   * @param requests where model and repository calls are counted
   */
  GrpcCalls(
      Vertx vertx,
      UnaryOperator<String> inferenceRefusal,
      UnaryOperator<String> managementRefusal,
      RequestRecorder requests) {
    this.vertx = vertx;
    this.inferenceRefusal = inferenceRefusal;
    this.managementRefusal = managementRefusal;
    this.requests = requests;
  }

  /** A call that needs a token where inference does, counted under its service's API. */
  <Req, Resp> void guarded(
      GrpcServerRequest<Decoded<Req>, Resp> request,
      BiFunction<Req, RequestScope, Future<Resp>> method) {
    Outcome outcome = new Outcome(apiOf(request));
    if (admit(request, inferenceRefusal, outcome)) {
      run(request, method, outcome);
    }
  }

  /** A call that changes what the node serves: it needs a token whenever tokens are set. */
  <Req, Resp> void managed(
      GrpcServerRequest<Decoded<Req>, Resp> request,
      BiFunction<Req, RequestScope, Future<Resp>> method) {
    Outcome outcome = new Outcome(MANAGEMENT_API);
    if (admit(request, managementRefusal, outcome)) {
      run(request, method, outcome);
    }
  }

  /** A call anyone may make (liveness, readiness, server metadata), not counted. */
  <Req, Resp> void open(
      GrpcServerRequest<Decoded<Req>, Resp> request,
      BiFunction<Req, RequestScope, Future<Resp>> method) {
    run(request, method, null);
  }

  /**
   * Whether a model call presents the token it needs; if not, it is ended UNAUTHENTICATED with what
   * was missing.
   */
  boolean admit(GrpcServerRequest<?, ?> request) {
    return admit(request, inferenceRefusal, null);
  }

  private static String apiOf(GrpcServerRequest<?, ?> request) {
    return request.serviceName().packageName().startsWith("tensorflow") ? TF_SERVING_API : OIP_API;
  }

  private static boolean admit(
      GrpcServerRequest<?, ?> request, UnaryOperator<String> refusal, Outcome outcome) {
    String refused = refusal.apply(request.headers().get("authorization"));
    if (refused == null) {
      return true;
    }
    request.handler(message -> {});
    request.response().status(GrpcStatus.UNAUTHENTICATED).statusMessage(refused).end();
    if (outcome != null) {
      outcome.ended(GrpcStatus.UNAUTHENTICATED);
    }
    return false;
  }

  /** How a counted call ended, once: its API, the model it named, its status and time. */
  private final class Outcome {
    private final String api;
    private final long start = System.nanoTime();
    private GrpcNames.Target target = GrpcNames.Target.NONE;
    private boolean counted;

    Outcome(String api) {
      this.api = api;
    }

    void named(Object message) {
      target = GrpcNames.target(message);
    }

    void ended(GrpcStatus status) {
      if (counted) {
        return;
      }
      counted = true;
      requests.record(
          api, target.model(), target.version(), httpStatus(status), System.nanoTime() - start);
    }
  }

  private <Req, Resp> void run(
      GrpcServerRequest<Decoded<Req>, Resp> request,
      BiFunction<Req, RequestScope, Future<Resp>> method,
      Outcome outcome) {
    long timeout = request.timeout();
    RequestScope scope =
        timeout > 0
            ? RequestScope.unbounded().withTimeout(timeout, System.nanoTime())
            : RequestScope.unbounded();
    AtomicBoolean answered = new AtomicBoolean();
    Consumer<Throwable> fail =
        error -> {
          GrpcStatus status = end(request.response(), error);
          if (outcome != null) {
            outcome.ended(status);
          }
        };
    request.exceptionHandler(e -> scope.clientGone());
    request.errorHandler(e -> scope.clientGone());
    request.invalidMessageHandler(
        invalid -> {
          if (answered.compareAndSet(false, true)) {
            fail.accept(tooLarge(invalid));
          }
        });
    long timer =
        timeout > 0
            ? vertx.setTimer(
                timeout,
                fired -> {
                  if (answered.compareAndSet(false, true)) {
                    fail.accept(scope.timedOut());
                  }
                })
            : -1;
    request.handler(
        decoded -> {
          if (outcome != null && decoded.error() == null) {
            outcome.named(decoded.message());
          }
          Future<Resp> answer;
          try {
            answer = method.apply(decoded.message(), scope);
          } catch (RuntimeException e) {
            answer = Future.failedFuture(e);
          }
          answer.onComplete(
              (reply, error) -> {
                if (timer >= 0) {
                  vertx.cancelTimer(timer);
                }
                if (!answered.compareAndSet(false, true)) {
                  return;
                }
                if (error != null) {
                  fail.accept(error);
                  return;
                }
                request.response().send(reply);
                if (outcome != null) {
                  outcome.ended(GrpcStatus.OK);
                }
              });
        });
  }

  /**
   * The answer, or the failure of a passed timeout once {@code timeoutMillis} have passed without
   * one: a request that names its own timeout is answered at its deadline, as the call's deadline
   * is, not when its queue gets to dropping it.
   */
  <T> Future<T> byTimeout(Future<T> answer, RequestScope scope, long timeoutMillis) {
    Promise<T> first = Promise.promise();
    long timer = vertx.setTimer(timeoutMillis, fired -> first.tryFail(scope.timedOut()));
    answer.onComplete(
        (reply, error) -> {
          vertx.cancelTimer(timer);
          if (error == null) {
            first.tryComplete(reply);
          } else {
            first.tryFail(error);
          }
        });
    return first.future();
  }

  /** Ends a call with the status and message a failure means; returns the status. */
  static GrpcStatus end(GrpcServerResponse<?, ?> response, Throwable error) {
    Throwable cause = unwrapped(error);
    GrpcStatus status = status(cause);
    if (status == GrpcStatus.INTERNAL) {
      LOG.log(Level.WARNING, "a gRPC call failed", cause);
    }
    try {
      response.status(status).statusMessage(describe(cause)).end();
    } catch (IllegalStateException e) {
      // the call already ended (the client went away)
    }
    return status;
  }

  /**
   * The HTTP status a gRPC status stands for, as {@code google.rpc.Code} maps them, so one query
   * over {@code tuneserve_requests} sees HTTP and gRPC failures alike.
   */
  static int httpStatus(GrpcStatus status) {
    return switch (status) {
      case OK -> 200;
      case INVALID_ARGUMENT, OUT_OF_RANGE -> 400;
      case FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS -> 409;
      case UNAUTHENTICATED -> 401;
      case PERMISSION_DENIED -> 403;
      case NOT_FOUND -> 404;
      case CANCELLED -> 499;
      case RESOURCE_EXHAUSTED -> 429;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
      case DEADLINE_EXCEEDED -> 504;
      default -> 500;
    };
  }

  /** The failure of a message over the largest taken (the only message the transport refuses). */
  static ServingException tooLarge(Throwable invalid) {
    return ServingException.overloaded(
        "the request message is larger than the server takes (http.max_body_bytes): "
            + describe(invalid));
  }

  /** The failure of a message that is not the request type's protobuf. */
  static ServingException unreadable(Throwable invalid) {
    return ServingException.invalid(
        "the request message is not a valid protobuf of its type: " + describe(invalid));
  }

  /**
   * A request message as read: the message, or why its bytes are none ({@code message()} then
   * throws it). Unreadable bytes are then refused INVALID_ARGUMENT with the reason, instead of the
   * stream being reset.
   */
  record Decoded<T>(T message, RuntimeException error) {
    @Override
    public T message() {
      if (error != null) {
        throw error;
      }
      return message;
    }
  }

  /**
   * The method with a decoder that never fails: a message that cannot be read is {@link
   * Decoded#error}.
   */
  static <Req, Resp> ServiceMethod<Decoded<Req>, Resp> lenient(ServiceMethod<Req, Resp> method) {
    return lenient(method, method.decoder()::decode);
  }

  /**
   * The same, for messages that carry tensors: read with {@code parser} straight from the bytes as
   * they arrived, so a {@code bytes} field (a raw tensor of megabytes) is a view of them, not a
   * copy. The received bytes are never written again, so the view stays valid.
   */
  static <Req, Resp> ServiceMethod<Decoded<Req>, Resp> lenient(
      ServiceMethod<Req, Resp> method, Parser<Req> parser) {
    GrpcMessageDecoder<Req> decoder = method.decoder();
    return lenient(
        method,
        message -> {
          if (message.format() != WireFormat.PROTOBUF
              || message.encoding() != null && !"identity".equals(message.encoding())) {
            return decoder.decode(message);
          }
          ByteBuf bytes = ((BufferInternal) message.payload()).getByteBuf();
          if (!bytes.hasArray()) {
            return decoder.decode(message);
          }
          CodedInputStream input =
              CodedInputStream.newInstance(
                  bytes.array(), bytes.arrayOffset() + bytes.readerIndex(), bytes.readableBytes());
          input.enableAliasing(true);
          try {
            return parser.parseFrom(input);
          } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
          }
        });
  }

  private static <Req, Resp> ServiceMethod<Decoded<Req>, Resp> lenient(
      ServiceMethod<Req, Resp> method, Function<GrpcMessage, Req> decode) {
    GrpcMessageDecoder<Req> decoder = method.decoder();
    GrpcMessageDecoder<Decoded<Req>> reading =
        new GrpcMessageDecoder<>() {
          @Override
          public Decoded<Req> decode(GrpcMessage message) {
            try {
              return new Decoded<>(decode.apply(message), null);
            } catch (RuntimeException e) {
              return new Decoded<>(null, unreadable(e));
            }
          }

          @Override
          public boolean accepts(WireFormat format) {
            return decoder.accepts(format);
          }
        };
    return ServiceMethod.server(
        method.serviceName(), method.methodName(), method.encoder(), reading);
  }

  /** The failure itself, out of the CompletionException a future may wrap it in. */
  private static Throwable unwrapped(Throwable error) {
    return error instanceof java.util.concurrent.CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
  }

  /** What a failure says to the client. */
  static String describe(Throwable error) {
    Throwable cause = unwrapped(error);
    return cause.getMessage() == null ? cause.toString() : cause.getMessage();
  }

  /** The one mapping of the server's errors to gRPC status codes. */
  static GrpcStatus status(Throwable error) {
    if (!(error instanceof ServingException serving)) {
      return GrpcStatus.INTERNAL;
    }
    return switch (serving.kind()) {
      case INVALID_ARGUMENT -> GrpcStatus.INVALID_ARGUMENT;
      case NOT_FOUND -> GrpcStatus.NOT_FOUND;
      case UNAVAILABLE -> GrpcStatus.UNAVAILABLE;
      case CONFLICT -> GrpcStatus.FAILED_PRECONDITION;
      case DEADLINE_EXCEEDED -> GrpcStatus.DEADLINE_EXCEEDED;
      case OVERLOADED -> GrpcStatus.RESOURCE_EXHAUSTED;
      case INTERNAL -> GrpcStatus.INTERNAL;
    };
  }
}
