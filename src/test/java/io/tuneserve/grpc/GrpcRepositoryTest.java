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
import io.tuneserve.grpc.proto.inference.ModelReadyRequest;
import io.tuneserve.grpc.proto.inference.RepositoryIndexRequest;
import io.tuneserve.grpc.proto.inference.RepositoryIndexResponse;
import io.tuneserve.grpc.proto.inference.RepositoryModelLoadRequest;
import io.tuneserve.grpc.proto.inference.RepositoryModelUnloadRequest;
import io.tuneserve.testing.TestServer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Triton's repository RPCs: the index, unloading and loading a model; with tokens set they need
 * one, as the HTTP repository API does, while inference (not protected) needs none.
 */
class GrpcRepositoryTest {
  @Test
  void theIndexListsVersionsAndUnloadAndLoadNeedAToken() throws Exception {
    try (TestServer server =
        new TestServer().withDemoModel().set("security.tokens", "s3cret").start()) {
      ManagedChannel channel =
          ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      try {
        GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub anonymous =
            GRPCInferenceServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS);
        Metadata bearer = new Metadata();
        bearer.put(
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer s3cret");
        GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub admin =
            anonymous.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer));
        ModelReadyRequest ready = ModelReadyRequest.newBuilder().setName("fashion-convnet").build();
        assertThat(anonymous.modelReady(ready).getReady()).as("inference needs no token").isTrue();
        assertThatThrownBy(
                () -> anonymous.repositoryIndex(RepositoryIndexRequest.getDefaultInstance()))
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));

        RepositoryIndexResponse index =
            admin.repositoryIndex(RepositoryIndexRequest.getDefaultInstance());
        assertThat(index.getModelsList())
            .anySatisfy(
                model -> {
                  assertThat(model.getName()).isEqualTo("fashion-convnet");
                  assertThat(model.getVersion()).isEqualTo("1");
                  assertThat(model.getState()).isEqualTo("AVAILABLE");
                });

        admin.repositoryModelUnload(
            RepositoryModelUnloadRequest.newBuilder().setModelName("fashion-convnet").build());
        assertThat(anonymous.modelReady(ready).getReady()).isFalse();
        assertThat(
                admin
                    .repositoryIndex(RepositoryIndexRequest.newBuilder().setReady(true).build())
                    .getModelsList())
            .noneSatisfy(model -> assertThat(model.getName()).isEqualTo("fashion-convnet"));
        admin.repositoryModelLoad(
            RepositoryModelLoadRequest.newBuilder().setModelName("fashion-convnet").build());
        assertThat(anonymous.modelReady(ready).getReady()).isTrue();
        assertThatThrownBy(
                () ->
                    admin.repositoryModelLoad(
                        RepositoryModelLoadRequest.newBuilder()
                            .setModelName("no-such-model")
                            .build()))
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
      } finally {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }
    }
  }
}
