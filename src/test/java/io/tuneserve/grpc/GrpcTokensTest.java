package io.tuneserve.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.tuneserve.grpc.proto.inference.GRPCInferenceServiceGrpc;
import io.tuneserve.grpc.proto.inference.ModelMetadataRequest;
import io.tuneserve.grpc.proto.inference.ServerLiveRequest;
import io.tuneserve.testing.TestServer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Where the HTTP inference APIs need a token, the gRPC model calls do too; liveness never. */
class GrpcTokensTest {
  private static Metadata bearer(String token) {
    Metadata metadata = new Metadata();
    metadata.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return metadata;
  }

  @Test
  void modelCallsNeedTheTokenTheHttpApisNeed() throws Exception {
    try (TestServer server =
        new TestServer()
            .withDemoModel()
            .set("security.tokens", "s3cret")
            .set("security.protect_inference", true)
            .start()) {
      ManagedChannel channel =
          ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      try {
        GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub anonymous =
            GRPCInferenceServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS);
        ModelMetadataRequest metadata =
            ModelMetadataRequest.newBuilder().setName("fashion-convnet").build();
        assertThat(anonymous.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
        for (GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub refused :
            java.util.List.of(
                anonymous,
                anonymous.withInterceptors(
                    MetadataUtils.newAttachHeadersInterceptor(bearer("wrong"))))) {
          assertThatThrownBy(() -> refused.modelMetadata(metadata))
              .isInstanceOfSatisfying(
                  StatusRuntimeException.class,
                  e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription()).contains("token");
                  });
        }
        assertThat(
                anonymous
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer("s3cret")))
                    .modelMetadata(metadata)
                    .getName())
            .isEqualTo("fashion-convnet");
      } finally {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }
    }
  }
}
