package io.tuneserve.grpc;

import io.tuneserve.grpc.proto.inference.RepositoryIndexRequest;
import io.tuneserve.grpc.proto.inference.RepositoryIndexResponse;
import io.tuneserve.grpc.proto.inference.RepositoryModelLoadRequest;
import io.tuneserve.grpc.proto.inference.RepositoryModelLoadResponse;
import io.tuneserve.grpc.proto.inference.RepositoryModelUnloadRequest;
import io.tuneserve.grpc.proto.inference.RepositoryModelUnloadResponse;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ModelStatus;
import io.tuneserve.serving.VersionState;
import io.tuneserve.serving.VersionStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Triton's repository RPCs on {@code GRPCInferenceService}: the index of models and versions with
 * their state, and loading or unloading a model, as the HTTP repository API does them.
 */
final class RepositoryGrpc {
  private final Vertx vertx;
  private final ModelManager manager;

  RepositoryGrpc(Vertx vertx, ModelManager manager) {
    this.vertx = vertx;
    this.manager = manager;
  }

  /** Every model's versions and states; with {@code ready}, only the versions that serve. */
  Future<RepositoryIndexResponse> index(RepositoryIndexRequest message) {
    RepositoryIndexResponse.Builder index = RepositoryIndexResponse.newBuilder();
    for (ModelStatus model : manager.status()) {
      if (model.versions().isEmpty() && !message.getReady()) {
        index.addModels(
            RepositoryIndexResponse.ModelIndex.newBuilder()
                .setName(model.name())
                .setState("UNAVAILABLE")
                .setReason(model.whyNoVersion()));
      }
      for (VersionStatus version : model.versions()) {
        if (message.getReady() && version.state() != VersionState.AVAILABLE) {
          continue;
        }
        index.addModels(
            RepositoryIndexResponse.ModelIndex.newBuilder()
                .setName(model.name())
                .setVersion(Long.toString(version.version()))
                .setState(version.state().name())
                .setReason(version.error() == null ? "" : version.error()));
      }
    }
    return Future.succeededFuture(index.build());
  }

  Future<RepositoryModelLoadResponse> load(RepositoryModelLoadRequest message) {
    String model = GrpcNames.model(message.getModelName(), GrpcNames.NO_MODEL);
    return Future.fromCompletionStage(manager.load(model), vertx.getOrCreateContext())
        .map(done -> RepositoryModelLoadResponse.getDefaultInstance());
  }

  Future<RepositoryModelUnloadResponse> unload(RepositoryModelUnloadRequest message) {
    String model = GrpcNames.model(message.getModelName(), GrpcNames.NO_MODEL);
    return Future.fromCompletionStage(manager.unload(model), vertx.getOrCreateContext())
        .map(done -> RepositoryModelUnloadResponse.getDefaultInstance());
  }
}
