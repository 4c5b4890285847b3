package io.tuneserve.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.Int64Value;
import io.tuneserve.grpc.proto.serving.GetModelMetadataRequest;
import io.tuneserve.grpc.proto.serving.GetModelMetadataResponse;
import io.tuneserve.grpc.proto.serving.GetModelStatusRequest;
import io.tuneserve.grpc.proto.serving.GetModelStatusResponse;
import io.tuneserve.grpc.proto.serving.ModelServiceGrpcService;
import io.tuneserve.grpc.proto.serving.ModelSpec;
import io.tuneserve.grpc.proto.serving.ModelVersionStatus;
import io.tuneserve.grpc.proto.serving.PredictRequest;
import io.tuneserve.grpc.proto.serving.PredictResponse;
import io.tuneserve.grpc.proto.serving.PredictionServiceGrpcService;
import io.tuneserve.grpc.proto.serving.SignatureDefMap;
import io.tuneserve.grpc.proto.serving.StatusProto;
import io.tuneserve.grpc.proto.tensorflow.Code;
import io.tuneserve.grpc.proto.tensorflow.DataType;
import io.tuneserve.grpc.proto.tensorflow.SignatureDef;
import io.tuneserve.grpc.proto.tensorflow.TensorInfo;
import io.tuneserve.grpc.proto.tensorflow.TensorProto;
import io.tuneserve.grpc.proto.tensorflow.TensorShapeProto;
import io.tuneserve.inference.DecodedRequest;
import io.tuneserve.inference.InferenceResult;
import io.tuneserve.inference.InferenceService;
import io.tuneserve.model.RequestScope;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ModelStatus;
import io.tuneserve.serving.ModelView;
import io.tuneserve.serving.ServedVersion;
import io.tuneserve.serving.VersionState;
import io.tuneserve.serving.VersionStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.server.Service;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * TF Serving's {@code PredictionService} ({@code Predict}, {@code GetModelMetadata}, and with
 * {@link ExamplesGrpc} {@code Classify}, {@code Regress} and {@code MultiInference}) and {@code
 * ModelService.GetModelStatus}, translated to and from the one inference path: the same version
 * choice (number or label), the same queues and the same errors as the REST API.
 */
final class TfServingGrpc {
  private final Vertx vertx;
  private final GrpcCalls calls;
  private final InferenceService inference;
  private final ModelManager manager;
  private final long maxBytes;

  /**
   * @param maxBytes the most bytes a request's tensors may hold
   */
  TfServingGrpc(
      Vertx vertx,
      GrpcCalls calls,
      InferenceService inference,
      ModelManager manager,
      long maxBytes) {
    this.maxBytes = maxBytes;
    this.vertx = vertx;
    this.calls = calls;
    this.inference = inference;
    this.manager = manager;
  }

  Service predictionService() {
    ExamplesGrpc examples = new ExamplesGrpc(vertx, inference, this::version);
    return Service.service(
            PredictionServiceGrpcService.SERVICE_NAME,
            PredictionServiceGrpcService.SERVICE_DESCRIPTOR)
        .bind(
            GrpcCalls.lenient(PredictionServiceGrpcService.Predict, PredictRequest.parser()),
            request -> calls.guarded(request, this::predict))
        .bind(
            GrpcCalls.lenient(PredictionServiceGrpcService.Classify),
            request -> calls.guarded(request, examples::classify))
        .bind(
            GrpcCalls.lenient(PredictionServiceGrpcService.Regress),
            request -> calls.guarded(request, examples::regress))
        .bind(
            GrpcCalls.lenient(PredictionServiceGrpcService.MultiInference),
            request -> calls.guarded(request, examples::multiInference))
        .bind(
            GrpcCalls.lenient(PredictionServiceGrpcService.GetModelMetadata),
            request -> calls.guarded(request, (message, scope) -> metadata(message)))
        .build();
  }

  Service modelService() {
    return Service.service(
            ModelServiceGrpcService.SERVICE_NAME, ModelServiceGrpcService.SERVICE_DESCRIPTOR)
        .bind(
            GrpcCalls.lenient(ModelServiceGrpcService.GetModelStatus),
            request -> calls.guarded(request, (message, scope) -> status(message)))
        .build();
  }

  static String model(ModelSpec spec) {
    return GrpcNames.model(spec.getName(), "Missing ModelSpec: model_spec.name is empty");
  }

  /** The version a spec names: by number, by label, or none (the model's default). */
  private OptionalLong version(ModelSpec spec) {
    return switch (spec.getVersionChoiceCase()) {
      case VERSION -> {
        long version = spec.getVersion().getValue();
        if (version < 1) {
          throw ServingException.invalid("model_spec.version must be positive, got " + version);
        }
        yield OptionalLong.of(version);
      }
      case VERSION_LABEL -> OptionalLong.of(manager.labelled(model(spec), spec.getVersionLabel()));
      case VERSIONCHOICE_NOT_SET -> OptionalLong.empty();
    };
  }

  private static String signature(ModelSpec spec) {
    return spec.getSignatureName().isEmpty() ? SignatureSpec.DEFAULT_KEY : spec.getSignatureName();
  }

  private Future<PredictResponse> predict(PredictRequest message, RequestScope scope) {
    ModelSpec spec = message.getModelSpec();
    String model = model(spec);
    String key = signature(spec);
    return Future.fromCompletionStage(
            inference.infer(model, version(spec), view -> decode(view, key, message), scope),
            vertx.getOrCreateContext())
        .map(TfServingGrpc::encode);
  }

  private DecodedRequest decode(ModelView view, String key, PredictRequest message) {
    SignatureSpec signature = view.signature(key);
    Map<String, TensorData> inputs = new HashMap<>();
    for (Map.Entry<String, TensorProto> input : message.getInputsMap().entrySet()) {
      signature.input(input.getKey());
      inputs.put(
          input.getKey(), TensorProtoCodec.decode(input.getKey(), input.getValue(), maxBytes));
    }
    for (String name : signature.inputs().keySet()) {
      if (!inputs.containsKey(name)) {
        throw ServingException.invalid(
            "input '"
                + name
                + "' is missing; signature "
                + key
                + " takes "
                + signature.inputs().keySet());
      }
    }
    for (String output : message.getOutputFilterList()) {
      if (!signature.outputs().containsKey(output)) {
        throw ServingException.invalid(
            "output_filter names '"
                + output
                + "', which signature "
                + key
                + " does not have; it has "
                + signature.outputs().keySet());
      }
    }
    return new DecodedRequest(key, inputs, new LinkedHashSet<>(message.getOutputFilterList()));
  }

  private static PredictResponse encode(InferenceResult result) {
    PredictResponse.Builder response =
        PredictResponse.newBuilder().setModelSpec(spec(result.version(), result.signature().key()));
    for (Map.Entry<String, TensorData> output : result.outputs().entrySet()) {
      response.putOutputs(output.getKey(), TensorProtoCodec.encode(output.getValue()));
    }
    return response.build();
  }

  private static ModelSpec spec(ModelView version, String signature) {
    return ModelSpec.newBuilder()
        .setName(version.name())
        .setVersion(Int64Value.of(version.version()))
        .setSignatureName(signature)
        .build();
  }

  private Future<GetModelMetadataResponse> metadata(GetModelMetadataRequest message) {
    List<String> fields = message.getMetadataFieldList();
    if (fields.isEmpty()) {
      throw ServingException.invalid(
          "GetModelMetadataRequest must specify at least one metadata_field");
    }
    for (String field : fields) {
      if (!field.equals("signature_def")) {
        throw ServingException.invalid("Metadata field " + field + " is not supported");
      }
    }
    ModelSpec spec = message.getModelSpec();
    ServedVersion served = manager.acquire(model(spec), version(spec));
    try {
      SignatureDefMap.Builder signatures = SignatureDefMap.newBuilder();
      for (SignatureSpec signature : served.signatures().values()) {
        signatures.putSignatureDef(signature.key(), signatureDef(signature));
      }
      return Future.succeededFuture(
          GetModelMetadataResponse.newBuilder()
              .setModelSpec(spec(served, ""))
              .putMetadata("signature_def", Any.pack(signatures.build()))
              .build());
    } finally {
      served.release();
    }
  }

  private static SignatureDef signatureDef(SignatureSpec signature) {
    SignatureDef.Builder def = SignatureDef.newBuilder().setMethodName(signature.methodName());
    signature.inputs().forEach((name, spec) -> def.putInputs(name, tensorInfo(spec)));
    signature.outputs().forEach((name, spec) -> def.putOutputs(name, tensorInfo(spec)));
    return def.build();
  }

  private static TensorInfo tensorInfo(TensorSpec spec) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    if (spec.unknownRank()) {
      shape.setUnknownRank(true);
    } else {
      for (long dim : spec.shape()) {
        shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(dim));
      }
    }
    DataType dtype;
    try {
      dtype = DataType.valueOf(spec.tfType());
    } catch (IllegalArgumentException e) {
      dtype = DataType.DT_INVALID;
    }
    return TensorInfo.newBuilder()
        .setName(spec.tensorName())
        .setDtype(dtype)
        .setTensorShape(shape)
        .build();
  }

  private Future<GetModelStatusResponse> status(GetModelStatusRequest message) {
    ModelSpec spec = message.getModelSpec();
    String model = model(spec);
    OptionalLong version = version(spec);
    ModelStatus status =
        manager.status(model).orElseThrow(() -> ModelManager.notFound(model, version));
    GetModelStatusResponse.Builder response = GetModelStatusResponse.newBuilder();
    for (VersionStatus v : status.versions()) {
      if (version.isPresent() && v.version() != version.getAsLong()) {
        continue;
      }
      boolean failed = v.state() == VersionState.FAILED;
      response.addModelVersionStatus(
          ModelVersionStatus.newBuilder()
              .setVersion(v.version())
              .setState(ModelVersionStatus.State.valueOf(v.state().published()))
              .setStatus(
                  StatusProto.newBuilder()
                      .setErrorCode(failed ? Code.UNKNOWN : Code.OK)
                      .setErrorMessage(v.error() == null ? "" : v.error())));
    }
    if (response.getModelVersionStatusCount() == 0) {
      throw ModelManager.notFound(model, version);
    }
    return Future.succeededFuture(response.build());
  }
}
