package io.tuneserve.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tuneserve.grpc.proto.inference.GRPCInferenceServiceGrpc;
import io.tuneserve.grpc.proto.inference.GRPCInferenceServiceGrpcClient;
import io.tuneserve.grpc.proto.inference.InferParameter;
import io.tuneserve.grpc.proto.inference.ModelInferRequest;
import io.tuneserve.grpc.proto.inference.ModelInferResponse;
import io.tuneserve.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * gRPC calls that stop being worth computing: a call whose deadline ({@code grpc-timeout}) or
 * Triton {@code timeout} parameter passes while it waits for its batch is answered
 * DEADLINE_EXCEEDED at that moment, by the server, and never run. The model's batches wait 1.5 s to
 * fill, so the deadline passes while the request is queued.
 */
class GrpcDeadlineTest {
  private static TestServer server;
  private static Vertx vertx;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    server = new TestServer().withDemoModelQueueing(1500).start();
    vertx = Vertx.vertx();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    vertx.close().await();
    server.close();
  }

  private static double metric(String name) throws Exception {
    Matcher value =
        Pattern.compile("(?m)^" + name + "\\{[^}]*model=\"fashion-convnet\"[^}]*\\} (\\S+)$")
            .matcher(server.get("/metrics").body());
    return value.find() ? Double.parseDouble(value.group(1)) : 0;
  }

  private static ModelInferRequest image() {
    return DemoRequests.oneImage(new float[784]).build();
  }

  /** A call with a deadline, from a client that leaves enforcing it to the server. */
  private static GrpcClientResponse<ModelInferRequest, ModelInferResponse> callWithin(long millis) {
    GrpcClient client = GrpcClient.client(vertx);
    try {
      GrpcClientResponse<ModelInferRequest, ModelInferResponse> response =
          client
              .request(
                  SocketAddress.inetSocketAddress(server.port(), "127.0.0.1"),
                  GRPCInferenceServiceGrpcClient.ModelInfer)
              .compose(request -> request.timeout(millis, TimeUnit.MILLISECONDS).send(image()))
              .await();
      response.end().otherwiseEmpty().await();
      return response;
    } finally {
      client.close().await();
    }
  }

  @Test
  void aCallWhoseDeadlinePassesIsAnsweredThenAndNeverRun() throws Exception {
    double computed = metric("tuneserve_compute_seconds_count");
    double dropped = metric("tuneserve_requests_dropped_total");
    long start = System.nanoTime();
    GrpcClientResponse<ModelInferRequest, ModelInferResponse> late = callWithin(100);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(late.status()).isEqualTo(GrpcStatus.DEADLINE_EXCEEDED);
    assertThat(late.statusMessage()).contains("timeout of 100 ms");
    assertThat(millis).as("answered at its deadline, not when its batch ran").isLessThan(1000);

    Thread.sleep(2000);
    assertThat(metric("tuneserve_requests_dropped_total")).isEqualTo(dropped + 1);
    assertThat(metric("tuneserve_compute_seconds_count")).as("no batch ran").isEqualTo(computed);

    assertThat(callWithin(20_000).status()).as("within its deadline").isEqualTo(GrpcStatus.OK);
    assertThat(metric("tuneserve_compute_seconds_count")).isEqualTo(computed + 1);
  }

  @Test
  void aTimeoutParameterInMicrosecondsIsHonouredAsTritonDoes() throws Exception {
    double dropped = metric("tuneserve_requests_dropped_total");
    ModelInferRequest request =
        image().toBuilder()
            .putParameters("timeout", InferParameter.newBuilder().setInt64Param(50_000).build())
            .build();
    long start = System.nanoTime();
    StatusRuntimeException late = infer(request);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(late.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(late.getStatus().getDescription()).contains("timeout of 50 ms");
    assertThat(millis).as("answered at its deadline, not when its batch ran").isLessThan(1000);
    Thread.sleep(2000);
    assertThat(metric("tuneserve_requests_dropped_total")).isEqualTo(dropped + 1);

    for (InferParameter wrong :
        new InferParameter[] {
          InferParameter.newBuilder().setStringParam("soon").build(),
          InferParameter.newBuilder().setInt64Param(-5).build()
        }) {
      StatusRuntimeException refused =
          infer(image().toBuilder().putParameters("timeout", wrong).build());
      assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(refused.getStatus().getDescription()).contains("'timeout'");
    }
  }

  private static StatusRuntimeException infer(ModelInferRequest request) {
    try {
      GRPCInferenceServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .modelInfer(request);
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("the call succeeded");
  }
}
