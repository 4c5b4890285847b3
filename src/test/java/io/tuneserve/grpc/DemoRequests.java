package io.tuneserve.grpc;

import com.google.protobuf.ByteString;
import io.tuneserve.grpc.proto.inference.ModelInferRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** OIP gRPC requests for the demo model's one 28x28x1 input. */
final class DemoRequests {
  private DemoRequests() {}

  /** A request of one image, its pixels as raw little-endian floats. */
  static ModelInferRequest.Builder oneImage(float[] pixels) {
    ByteBuffer raw = ByteBuffer.allocate(pixels.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float pixel : pixels) {
      raw.putFloat(pixel);
    }
    return ModelInferRequest.newBuilder()
        .setModelName("fashion-convnet")
        .addInputs(imageInput())
        .addRawInputContents(ByteString.copyFrom(raw.array()));
  }

  /** The demo model's input of one image, without its values. */
  static ModelInferRequest.InferInputTensor.Builder imageInput() {
    return ModelInferRequest.InferInputTensor.newBuilder()
        .setName("images")
        .setDatatype("FP32")
        .addShape(1)
        .addShape(28)
        .addShape(28)
        .addShape(1);
  }
}
