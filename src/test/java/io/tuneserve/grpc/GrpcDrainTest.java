package io.tuneserve.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.tuneserve.grpc.proto.inference.GRPCInferenceServiceGrpc;
import io.tuneserve.grpc.proto.inference.ModelInferRequest;
import io.tuneserve.grpc.proto.inference.ModelStreamInferResponse;
import io.tuneserve.testing.TestServer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A server shutting down ends an open ModelStreamInfer itself, after the answers it owes, with
 * UNAVAILABLE (the signal to go to another node), instead of holding the drain open.
 */
class GrpcDrainTest {
  @Test
  void shutdownEndsAnOpenStreamAfterItsAnswers() throws Exception {
    TestServer server = new TestServer().withDemoModel().start();
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    try {
      AtomicInteger answers = new AtomicInteger();
      CompletableFuture<Status> ended = new CompletableFuture<>();
      StreamObserver<ModelInferRequest> requests =
          GRPCInferenceServiceGrpc.newStub(channel)
              .modelStreamInfer(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(ModelStreamInferResponse value) {
                      answers.incrementAndGet();
                    }

                    @Override
                    public void onError(Throwable t) {
                      ended.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                      ended.complete(Status.OK);
                    }
                  });
      ModelInferRequest request = DemoRequests.oneImage(new float[784]).build();
      for (int i = 0; i < 20; i++) {
        requests.onNext(request.toBuilder().setId("r" + i).build());
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (answers.get() < 20 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(answers.get()).isEqualTo(20);

      long start = System.nanoTime();
      CompletableFuture<Void> closed = CompletableFuture.runAsync(server::close);
      Status status = ended.get(20, TimeUnit.SECONDS);
      closed.get(40, TimeUnit.SECONDS);
      assertThat(status.getCode()).as(status.toString()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(status.getDescription()).contains("shutting down");
      assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start))
          .as("the stream did not hold the drain open for its 30 s")
          .isLessThan(20);
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      server.close();
    }
  }
}
