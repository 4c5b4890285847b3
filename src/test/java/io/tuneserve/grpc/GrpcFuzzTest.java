package io.tuneserve.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.tuneserve.grpc.proto.inference.InferTensorContents;
import io.tuneserve.grpc.proto.inference.ModelInferRequest;
import io.tuneserve.grpc.proto.serving.ModelSpec;
import io.tuneserve.grpc.proto.serving.PredictRequest;
import io.tuneserve.grpc.proto.tensorflow.DataType;
import io.tuneserve.grpc.proto.tensorflow.TensorProto;
import io.tuneserve.grpc.proto.tensorflow.TensorShapeProto;
import io.tuneserve.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad gRPC requests of every kind to every method: bytes that are no protobuf, truncated messages,
 * wrong dtypes and shapes, contents and raw both set, raw sizes that lie, huge dimensions, unknown
 * models. Every one gets an error status with a message within its deadline, and the server keeps
 * answering good requests.
 */
class GrpcFuzzTest {
  private static final Set<Status.Code> REFUSALS =
      Set.of(Status.Code.INVALID_ARGUMENT, Status.Code.NOT_FOUND, Status.Code.RESOURCE_EXHAUSTED);
  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };
  private static final List<String> METHODS =
      List.of(
          "tensorflow.serving.PredictionService/Predict",
          "tensorflow.serving.PredictionService/Classify",
          "tensorflow.serving.PredictionService/Regress",
          "tensorflow.serving.PredictionService/MultiInference",
          "tensorflow.serving.PredictionService/GetModelMetadata",
          "tensorflow.serving.ModelService/GetModelStatus",
          "inference.GRPCInferenceService/ModelInfer",
          "inference.GRPCInferenceService/ModelMetadata",
          "inference.GRPCInferenceService/ModelReady");

  private static TestServer server;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    server = new TestServer().withDemoModel().set("http.max_body_bytes", 8 << 20).start();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    server.close();
  }

  /** Sends bytes to a method; the status it answered with (OK when it answered a message). */
  private static Status call(String method, byte[] body) {
    MethodDescriptor<byte[], byte[]> descriptor =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(method)
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();
    try {
      ClientCalls.blockingUnaryCall(
          channel, descriptor, CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), body);
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  private static void assertRefused(String what, String method, Message message) {
    assertRefused(what, method, message.toByteArray());
  }

  private static void assertRefused(String what, String method, byte[] body) {
    Status status = call(method, body);
    if (!REFUSALS.contains(status.getCode())) {
      fail(what + " to " + method + " got " + status);
    }
    assertThat(status.getDescription()).as(what + " to " + method).isNotBlank();
  }

  private static TensorProto tensor(DataType dtype, long[] shape, float... values) {
    TensorShapeProto.Builder dims = TensorShapeProto.newBuilder();
    for (long dim : shape) {
      dims.addDim(TensorShapeProto.Dim.newBuilder().setSize(dim));
    }
    TensorProto.Builder tensor = TensorProto.newBuilder().setDtype(dtype).setTensorShape(dims);
    for (float value : values) {
      tensor.addFloatVal(value);
    }
    return tensor.build();
  }

  private static PredictRequest predict(String model, Map<String, TensorProto> inputs) {
    return PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName(model))
        .putAllInputs(inputs)
        .build();
  }

  /** The request with its one input also given a single typed value. */
  private static ModelInferRequest.Builder withOneContent(ModelInferRequest.Builder request) {
    return request.setInputs(
        0,
        request.getInputs(0).toBuilder()
            .setContents(InferTensorContents.newBuilder().addFp32Contents(1)));
  }

  private static ModelInferRequest.Builder infer(String datatype, long... shape) {
    ModelInferRequest.InferInputTensor.Builder input =
        ModelInferRequest.InferInputTensor.newBuilder().setName("images").setDatatype(datatype);
    for (long dim : shape) {
      input.addShape(dim);
    }
    return ModelInferRequest.newBuilder().setModelName("fashion-convnet").addInputs(input);
  }

  @Test
  void bytesThatAreNoRequestGetAnErrorStatusFromEveryMethod() {
    Random random = new Random(42);
    byte[] valid =
        predict(
                "fashion-convnet",
                Map.of("images", tensor(DataType.DT_FLOAT, new long[] {1, 28, 28, 1}, 0.5f)))
            .toByteArray();
    List<byte[]> bodies = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      byte[] garbage = new byte[1 + random.nextInt(300)];
      random.nextBytes(garbage);
      bodies.add(garbage);
    }
    bodies.add(java.util.Arrays.copyOf(valid, valid.length / 2));
    // A length-delimited field that claims more bytes than follow.
    bodies.add(new byte[] {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 1, 2, 3});
    // A group start tag with no end.
    bodies.add(new byte[] {0x0b, 0x08, 0x01});
    for (String method : METHODS) {
      for (byte[] body : bodies) {
        Status status = call(method, body);
        assertThat(status.getCode())
            .as(method + " with " + body.length + " unreadable bytes: " + status)
            .isIn(Status.Code.INVALID_ARGUMENT, Status.Code.NOT_FOUND, Status.Code.OK);
        if (status.getCode() == Status.Code.OK) {
          // Some random bytes happen to parse: they must then be a request the method answered.
          continue;
        }
        assertThat(status.getDescription()).isNotBlank();
      }
    }
  }

  @Test
  void badTensorsAndModelsAreRefusedWithTheReason() {
    String predict = "tensorflow.serving.PredictionService/Predict";
    String modelInfer = "inference.GRPCInferenceService/ModelInfer";
    long[] image = {1, 28, 28, 1};
    assertRefused(
        "unknown model",
        predict,
        predict("no-such", Map.of("images", tensor(DataType.DT_FLOAT, image, 0f))));
    assertRefused("no inputs", predict, predict("fashion-convnet", Map.of()));
    assertRefused(
        "wrong dtype",
        predict,
        predict("fashion-convnet", Map.of("images", tensor(DataType.DT_INT64, image))));
    assertRefused(
        "unsupported dtype",
        predict,
        predict("fashion-convnet", Map.of("images", tensor(DataType.DT_COMPLEX64, image))));
    assertRefused(
        "wrong rank",
        predict,
        predict(
            "fashion-convnet",
            Map.of("images", tensor(DataType.DT_FLOAT, new long[] {28, 28}, 0f))));
    assertRefused(
        "huge dimensions",
        predict,
        predict(
            "fashion-convnet",
            Map.of(
                "images", tensor(DataType.DT_FLOAT, new long[] {1L << 40, 1L << 40, 28, 1}, 0f))));
    assertRefused(
        "a few values filling a huge shape",
        predict,
        predict(
            "fashion-convnet",
            Map.of("images", tensor(DataType.DT_FLOAT, new long[] {100_000, 28, 28, 1}, 0f))));
    assertRefused(
        "tensor_content of the wrong size",
        predict,
        predict(
            "fashion-convnet",
            Map.of(
                "images",
                tensor(DataType.DT_FLOAT, image).toBuilder()
                    .setTensorContent(ByteString.copyFrom(new byte[12]))
                    .build())));
    assertRefused(
        "unknown output filter",
        predict,
        predict("fashion-convnet", Map.of("images", tensor(DataType.DT_FLOAT, image, 0f)))
            .toBuilder()
            .addOutputFilter("nope")
            .build());

    byte[] raw = new byte[784 * 4];
    assertRefused(
        "contents and raw both set",
        modelInfer,
        withOneContent(infer("FP32", image)).addRawInputContents(ByteString.copyFrom(raw)).build());
    assertRefused(
        "raw size that lies",
        modelInfer,
        infer("FP32", image).addRawInputContents(ByteString.copyFrom(raw, 0, 17)).build());
    assertRefused(
        "more raw entries than inputs",
        modelInfer,
        infer("FP32", image)
            .addRawInputContents(ByteString.copyFrom(raw))
            .addRawInputContents(ByteString.copyFrom(raw))
            .build());
    assertRefused(
        "unknown datatype",
        modelInfer,
        infer("FP16", image).addRawInputContents(ByteString.copyFrom(raw)).build());
    assertRefused(
        "wrong datatype",
        modelInfer,
        infer("INT64", image).addRawInputContents(ByteString.copyFrom(new byte[784 * 8])).build());
    assertRefused("negative dimension", modelInfer, infer("FP32", 1, -28, 28, 1).build());
    assertRefused(
        "huge dimensions", modelInfer, infer("FP32", 1L << 40, 1L << 40, 1L << 40).build());
    assertRefused("too few contents", modelInfer, withOneContent(infer("FP32", image)).build());
    assertRefused(
        "BYTES raw that lies",
        modelInfer,
        infer("BYTES", 1)
            .addRawInputContents(ByteString.copyFrom(new byte[] {(byte) 0xff, 0x7f, 0, 0, 1}))
            .build());
    assertRefused(
        "no model",
        modelInfer,
        infer("FP32", image)
            .setModelName("")
            .addRawInputContents(ByteString.copyFrom(raw))
            .build());
    assertRefused(
        "unknown model",
        modelInfer,
        infer("FP32", image)
            .setModelName("no-such")
            .addRawInputContents(ByteString.copyFrom(raw))
            .build());
    assertRefused(
        "bad version",
        modelInfer,
        infer("FP32", image)
            .setModelVersion("one")
            .addRawInputContents(ByteString.copyFrom(raw))
            .build());

    // Over the largest message taken (8 MB here).
    Status tooLarge =
        call(
            predict,
            predict(
                    "fashion-convnet",
                    Map.of(
                        "images",
                        tensor(DataType.DT_FLOAT, new long[] {3000, 28, 28, 1}).toBuilder()
                            .setTensorContent(ByteString.copyFrom(new byte[3000 * 784 * 4]))
                            .build()))
                .toByteArray());
    assertThat(tooLarge.getCode())
        .as(tooLarge.toString())
        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);

    // Still serving.
    assertThat(
            call(
                predict,
                predict("fashion-convnet", Map.of("images", tensor(DataType.DT_FLOAT, image, 0.5f)))
                    .toByteArray()))
        .isEqualTo(Status.OK);
  }
}
