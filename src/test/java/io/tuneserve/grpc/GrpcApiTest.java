package io.tuneserve.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.tuneserve.grpc.proto.inference.GRPCInferenceServiceGrpc;
import io.tuneserve.grpc.proto.inference.InferTensorContents;
import io.tuneserve.grpc.proto.inference.ModelInferRequest;
import io.tuneserve.grpc.proto.inference.ModelInferResponse;
import io.tuneserve.grpc.proto.inference.ModelMetadataRequest;
import io.tuneserve.grpc.proto.inference.ModelMetadataResponse;
import io.tuneserve.grpc.proto.inference.ModelReadyRequest;
import io.tuneserve.grpc.proto.inference.ServerLiveRequest;
import io.tuneserve.grpc.proto.inference.ServerMetadataRequest;
import io.tuneserve.grpc.proto.inference.ServerReadyRequest;
import io.tuneserve.grpc.proto.serving.GetModelMetadataRequest;
import io.tuneserve.grpc.proto.serving.GetModelMetadataResponse;
import io.tuneserve.grpc.proto.serving.GetModelStatusRequest;
import io.tuneserve.grpc.proto.serving.GetModelStatusResponse;
import io.tuneserve.grpc.proto.serving.ModelServiceGrpc;
import io.tuneserve.grpc.proto.serving.ModelSpec;
import io.tuneserve.grpc.proto.serving.ModelVersionStatus;
import io.tuneserve.grpc.proto.serving.PredictRequest;
import io.tuneserve.grpc.proto.serving.PredictResponse;
import io.tuneserve.grpc.proto.serving.PredictionServiceGrpc;
import io.tuneserve.grpc.proto.serving.SignatureDefMap;
import io.tuneserve.grpc.proto.tensorflow.DataType;
import io.tuneserve.grpc.proto.tensorflow.SignatureDef;
import io.tuneserve.grpc.proto.tensorflow.TensorProto;
import io.tuneserve.grpc.proto.tensorflow.TensorShapeProto;
import io.tuneserve.testing.ImageJobs;
import io.tuneserve.testing.TestServer;
import io.vertx.grpc.health.v1.HealthCheckRequest;
import io.vertx.grpc.health.v1.HealthCheckResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gRPC services on the HTTP port, called by grpc-java's own generated stubs over HTTP/2
 * cleartext: TF Serving's Predict, metadata and status, the Open Inference Protocol's RPCs, health;
 * answers that agree with each other and the status codes a client expects for bad requests.
 */
class GrpcApiTest {
  private static TestServer server;
  private static ManagedChannel channel;
  private static float[] image;

  @BeforeAll
  static void start() throws Exception {
    server = new TestServer().withDemoModel().start();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    ImageJobs jobs = new ImageJobs();
    image = new float[784];
    System.arraycopy(jobs.images().pixels(), 0, image, 0, 784);
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    server.close();
  }

  private static PredictionServiceGrpc.PredictionServiceBlockingStub predictions() {
    return PredictionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub oip() {
    return GRPCInferenceServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static TensorProto imageTensor(float[] pixels) {
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_FLOAT)
            .setTensorShape(
                TensorShapeProto.newBuilder()
                    .addDim(TensorShapeProto.Dim.newBuilder().setSize(1))
                    .addDim(TensorShapeProto.Dim.newBuilder().setSize(28))
                    .addDim(TensorShapeProto.Dim.newBuilder().setSize(28))
                    .addDim(TensorShapeProto.Dim.newBuilder().setSize(1)));
    for (float pixel : pixels) {
      tensor.addFloatVal(pixel);
    }
    return tensor.build();
  }

  private static PredictRequest predict(TensorProto images) {
    return PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName("fashion-convnet"))
        .putInputs("images", images)
        .build();
  }

  private static float[] floats(ByteString littleEndian) {
    ByteBuffer buffer = littleEndian.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[buffer.remaining() / 4];
    buffer.asFloatBuffer().get(values);
    return values;
  }

  private static void assertStatus(Runnable call, Status.Code code, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
              assertThat(e.getStatus().getDescription()).contains(message);
            });
  }

  /** The count of {@code tuneserve_requests} with exactly these tags, 0 when none was counted. */
  private static double requests(String api, String model, String version, int status)
      throws Exception {
    java.util.regex.Matcher value =
        java.util.regex.Pattern.compile(
                "(?m)^tuneserve_requests_total\\{api=\""
                    + api
                    + "\",model=\""
                    + model
                    + "\",status=\""
                    + status
                    + "\",version=\""
                    + version
                    + "\"\\} (\\S+)$")
            .matcher(server.get("/metrics").body());
    return value.find() ? Double.parseDouble(value.group(1)) : 0;
  }

  @Test
  void callsAreCountedByApiModelVersionAndTheHttpStatusTheirStatusStandsFor() throws Exception {
    double predicts = requests("tfserving_grpc", "fashion-convnet", "1", 200);
    double infers = requests("oip_grpc", "fashion-convnet", "", 200);
    double unknown = requests("oip_grpc", "", "", 404);
    double invalid = requests("oip_grpc", "fashion-convnet", "", 400);
    predictions()
        .predict(
            predict(imageTensor(image)).toBuilder()
                .setModelSpec(
                    ModelSpec.newBuilder().setName("fashion-convnet").setVersion(Int64Value.of(1)))
                .build());
    oip().modelInfer(DemoRequests.oneImage(image).build());
    assertStatus(
        () -> oip().modelInfer(DemoRequests.oneImage(image).setModelName("no-such-model").build()),
        Status.Code.NOT_FOUND,
        "no-such-model");
    assertStatus(
        () -> oip().modelInfer(DemoRequests.oneImage(new float[3]).build()),
        Status.Code.INVALID_ARGUMENT,
        "");
    assertThat(requests("tfserving_grpc", "fashion-convnet", "1", 200)).isEqualTo(predicts + 1);
    assertThat(requests("oip_grpc", "fashion-convnet", "", 200)).isEqualTo(infers + 1);
    assertThat(requests("oip_grpc", "", "", 404))
        .as("unknown models counted unnamed")
        .isEqualTo(unknown + 1);
    assertThat(requests("oip_grpc", "fashion-convnet", "", 400)).isEqualTo(invalid + 1);
  }

  @Test
  void theServerLetsManyCallsShareAConnectionWithoutWaitingForWindowUpdates() throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      io.vertx.core.http.HttpClient client =
          vertx.createHttpClient(
              new io.vertx.core.http.HttpClientOptions()
                  .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2)
                  .setHttp2ClearTextUpgrade(false));
      io.vertx.core.http.HttpClientResponse response =
          client
              .request(io.vertx.core.http.HttpMethod.GET, server.port(), "127.0.0.1", "/v2")
              .compose(io.vertx.core.http.HttpClientRequest::send)
              .await();
      assertThat(response.version()).isEqualTo(io.vertx.core.http.HttpVersion.HTTP_2);
      assertThat(response.request().connection().remoteSettings().getInitialWindowSize())
          .as("bytes a call may send before the server acknowledges them, as grpc-java allows")
          .isGreaterThanOrEqualTo(1 << 20);
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void predictAndModelInferGiveTheSameProbabilitiesAsEachOther() {
    PredictResponse predicted = predictions().predict(predict(imageTensor(image)));
    assertThat(predicted.getModelSpec().getName()).isEqualTo("fashion-convnet");
    assertThat(predicted.getModelSpec().getVersion().getValue()).isEqualTo(1);
    TensorProto probabilities = predicted.getOutputsOrThrow("probabilities");
    assertThat(probabilities.getDtype()).isEqualTo(DataType.DT_FLOAT);
    assertThat(probabilities.getTensorShape().getDimList())
        .extracting(TensorShapeProto.Dim::getSize)
        .containsExactly(1L, 10L);
    float[] viaPredict = floats(probabilities.getTensorContent());
    float sum = 0;
    for (float p : viaPredict) {
      sum += p;
    }
    assertThat(sum).isBetween(0.999f, 1.001f);

    // The same image as raw little-endian bytes, and as typed contents.
    ByteBuffer raw = ByteBuffer.allocate(784 * 4).order(ByteOrder.LITTLE_ENDIAN);
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    for (float pixel : image) {
      raw.putFloat(pixel);
      contents.addFp32Contents(pixel);
    }
    ModelInferRequest.InferInputTensor.Builder input = DemoRequests.imageInput();
    ModelInferRequest.Builder request =
        ModelInferRequest.newBuilder()
            .setModelName("fashion-convnet")
            .setId("req-1")
            .addOutputs(
                ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("probabilities"));
    ModelInferResponse viaRaw =
        oip()
            .modelInfer(
                request
                    .clone()
                    .addInputs(input.clone())
                    .addRawInputContents(ByteString.copyFrom(raw.array()))
                    .build());
    ModelInferResponse viaContents =
        oip().modelInfer(request.clone().addInputs(input.clone().setContents(contents)).build());
    for (ModelInferResponse response : new ModelInferResponse[] {viaRaw, viaContents}) {
      assertThat(response.getModelVersion()).isEqualTo("1");
      assertThat(response.getId()).isEqualTo("req-1");
      assertThat(response.getOutputs(0).getName()).isEqualTo("probabilities");
      assertThat(response.getOutputs(0).getShapeList()).containsExactly(1L, 10L);
      assertThat(floats(response.getRawOutputContents(0))).containsExactly(viaPredict);
    }

    // Both set, and raw sizes that lie.
    assertStatus(
        () ->
            oip()
                .modelInfer(
                    request
                        .clone()
                        .addInputs(input.clone().setContents(contents))
                        .addRawInputContents(ByteString.copyFrom(raw.array()))
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "raw_input_contents");
    assertStatus(
        () ->
            oip()
                .modelInfer(
                    request
                        .clone()
                        .addInputs(input.clone())
                        .addRawInputContents(ByteString.copyFrom(raw.array(), 0, 100))
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "binary_data_size is 100");
  }

  @Test
  void aStreamAnswersEveryRequestByIdAndEndsAfterTheClientDoes() throws Exception {
    java.util.Map<String, io.tuneserve.grpc.proto.inference.ModelStreamInferResponse> answers =
        new java.util.concurrent.ConcurrentHashMap<>();
    java.util.concurrent.CompletableFuture<Void> done =
        new java.util.concurrent.CompletableFuture<>();
    io.grpc.stub.StreamObserver<ModelInferRequest> requests =
        GRPCInferenceServiceGrpc.newStub(channel)
            .withDeadlineAfter(60, TimeUnit.SECONDS)
            .modelStreamInfer(
                new io.grpc.stub.StreamObserver<>() {
                  @Override
                  public void onNext(
                      io.tuneserve.grpc.proto.inference.ModelStreamInferResponse value) {
                    answers.put(value.getInferResponse().getId(), value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {
                    done.complete(null);
                  }
                });
    // Two different images in turn: each answer must be its own image's, however the messages
    // shared the connection's buffers.
    ModelInferRequest.Builder[] images = {
      DemoRequests.oneImage(image), DemoRequests.oneImage(new float[784])
    };
    float[][] expected = new float[2][];
    for (int k = 0; k < 2; k++) {
      expected[k] = floats(oip().modelInfer(images[k].build()).getRawOutputContents(0));
    }
    assertThat(expected[0]).isNotEqualTo(expected[1]);
    ModelInferRequest.Builder request = images[0];
    int count = 200;
    for (int i = 0; i < count; i++) {
      requests.onNext(images[i % 2].clone().setId("r" + i).build());
    }
    requests.onNext(request.clone().setId("bad").setModelName("no-such-model").build());
    requests.onCompleted();
    done.get(60, TimeUnit.SECONDS);
    assertThat(answers).hasSize(count + 1);
    for (int i = 0; i < count; i++) {
      io.tuneserve.grpc.proto.inference.ModelStreamInferResponse answer = answers.get("r" + i);
      assertThat(answer.getErrorMessage()).isEmpty();
      assertThat(answer.getInferResponse().getRawOutputContentsCount()).isEqualTo(2);
      assertThat(floats(answer.getInferResponse().getRawOutputContents(0)))
          .as("answer r" + i)
          .containsExactly(expected[i % 2], org.assertj.core.data.Offset.offset(1e-4f));
    }
    assertThat(answers.get("bad").getErrorMessage()).contains("no-such-model");
  }

  /** A Predict of the test image with this spec and input name. */
  private static Runnable predictAs(ModelSpec.Builder spec, String input, TensorProto tensor) {
    return () ->
        predictions()
            .predict(
                PredictRequest.newBuilder().setModelSpec(spec).putInputs(input, tensor).build());
  }

  private static ModelSpec.Builder demo() {
    return ModelSpec.newBuilder().setName("fashion-convnet");
  }

  @Test
  void badPredictRequestsGetTheStatusThatSaysWhatIsWrong() {
    TensorProto tensor = imageTensor(image);
    assertStatus(
        () -> predictions().predict(PredictRequest.newBuilder().build()),
        Status.Code.INVALID_ARGUMENT,
        "Missing ModelSpec");
    assertStatus(
        predictAs(ModelSpec.newBuilder().setName("no-such-model"), "images", tensor),
        Status.Code.NOT_FOUND,
        "no-such-model");
    assertStatus(
        predictAs(demo().setVersion(Int64Value.of(7)), "images", tensor),
        Status.Code.NOT_FOUND,
        "fashion-convnet");
    assertStatus(
        predictAs(demo(), "images", tensor.toBuilder().setDtype(DataType.DT_HALF).build()),
        Status.Code.INVALID_ARGUMENT,
        "DT_HALF");
    assertStatus(
        predictAs(demo(), "images", imageTensor(new float[785])),
        Status.Code.INVALID_ARGUMENT,
        "785 values");
    assertStatus(
        predictAs(demo(), "pixels", tensor),
        Status.Code.INVALID_ARGUMENT,
        "unknown input 'pixels'");
    assertStatus(
        predictAs(demo().setVersionLabel("canary"), "images", tensor),
        Status.Code.NOT_FOUND,
        "canary");
  }

  @Test
  void metadataStatusAndReadinessDescribeTheDemoModel() throws Exception {
    GetModelMetadataResponse metadata =
        predictions()
            .getModelMetadata(
                GetModelMetadataRequest.newBuilder()
                    .setModelSpec(ModelSpec.newBuilder().setName("fashion-convnet"))
                    .addMetadataField("signature_def")
                    .build());
    SignatureDef serving =
        metadata
            .getMetadataOrThrow("signature_def")
            .unpack(SignatureDefMap.class)
            .getSignatureDefOrThrow("serving_default");
    assertThat(serving.getInputsOrThrow("images").getDtype()).isEqualTo(DataType.DT_FLOAT);
    assertThat(serving.getOutputsMap()).containsKey("probabilities");
    assertStatus(
        () ->
            predictions()
                .getModelMetadata(
                    GetModelMetadataRequest.newBuilder()
                        .setModelSpec(ModelSpec.newBuilder().setName("fashion-convnet"))
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "metadata_field");

    GetModelStatusResponse status =
        ModelServiceGrpc.newBlockingStub(channel)
            .getModelStatus(
                GetModelStatusRequest.newBuilder()
                    .setModelSpec(ModelSpec.newBuilder().setName("fashion-convnet"))
                    .build());
    assertThat(status.getModelVersionStatus(0).getVersion()).isEqualTo(1);
    assertThat(status.getModelVersionStatus(0).getState())
        .isEqualTo(ModelVersionStatus.State.AVAILABLE);

    assertThat(oip().serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
    assertThat(oip().serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
    assertThat(oip().serverMetadata(ServerMetadataRequest.getDefaultInstance()).getName())
        .isEqualTo("tuneserve");
    assertThat(
            oip()
                .modelReady(ModelReadyRequest.newBuilder().setName("fashion-convnet").build())
                .getReady())
        .isTrue();
    assertThat(
            oip()
                .modelReady(
                    ModelReadyRequest.newBuilder()
                        .setName("fashion-convnet")
                        .setVersion("9")
                        .build())
                .getReady())
        .isFalse();
    ModelMetadataResponse model =
        oip().modelMetadata(ModelMetadataRequest.newBuilder().setName("fashion-convnet").build());
    assertThat(model.getVersionsList()).containsExactly("1");
    assertThat(model.getInputs(0).getName()).isEqualTo("images");
    com.fasterxml.jackson.databind.JsonNode rest =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(server.get("/v2/models/fashion-convnet").body());
    assertThat(model.getInputs(0).getShapeList().toString().replace(" ", ""))
        .as("the shape the REST metadata gives")
        .isEqualTo(rest.at("/inputs/0/shape").toString());
    assertThat(model.getInputs(0).getDatatype()).isEqualTo(rest.at("/inputs/0/datatype").asText());

    // grpc.health.v1.Health, called with grpc-java's generic client.
    MethodDescriptor<HealthCheckRequest, HealthCheckResponse> check =
        MethodDescriptor.<HealthCheckRequest, HealthCheckResponse>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("grpc.health.v1.Health/Check")
            .setRequestMarshaller(ProtoUtils.marshaller(HealthCheckRequest.getDefaultInstance()))
            .setResponseMarshaller(ProtoUtils.marshaller(HealthCheckResponse.getDefaultInstance()))
            .build();
    for (String service :
        new String[] {
          "", "tensorflow.serving.PredictionService", "inference.GRPCInferenceService"
        }) {
      HealthCheckResponse health =
          ClientCalls.blockingUnaryCall(
              channel,
              check,
              io.grpc.CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
              HealthCheckRequest.newBuilder().setService(service).build());
      assertThat(health.getStatus())
          .as(service)
          .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }
  }
}
