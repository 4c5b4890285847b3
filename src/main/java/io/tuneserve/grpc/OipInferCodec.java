package io.tuneserve.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.tuneserve.grpc.proto.inference.InferParameter;
import io.tuneserve.grpc.proto.inference.InferTensorContents;
import io.tuneserve.grpc.proto.inference.ModelInferRequest;
import io.tuneserve.grpc.proto.inference.ModelInferResponse;
import io.tuneserve.inference.DecodedRequest;
import io.tuneserve.inference.InferenceResult;
import io.tuneserve.inference.RawTensors;
import io.tuneserve.model.DType;
import io.tuneserve.model.RequestScope;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.serving.ModelView;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Open Inference Protocol's {@code ModelInferRequest} to the server's request, and its result
 * to a {@code ModelInferResponse}: inputs from typed {@code contents} or from {@code
 * raw_input_contents} (one entry per input, never both), outputs always raw, as Triton answers.
 */
final class OipInferCodec {
  private OipInferCodec() {}

  /**
   * The request's {@code timeout} parameter (an integer of microseconds, Triton's convention) in
   * whole milliseconds; -1 when it has none.
   */
  static long timeoutMillis(ModelInferRequest request) {
    InferParameter timeout = request.getParametersMap().get("timeout");
    if (timeout == null) {
      return -1;
    }
    long micros =
        switch (timeout.getParameterChoiceCase()) {
          case INT64_PARAM -> timeout.getInt64Param();
          case UINT64_PARAM ->
              timeout.getUint64Param() < 0 ? Long.MAX_VALUE : timeout.getUint64Param();
          default -> 0;
        };
    return RequestScope.timeoutMillisOfMicros(micros);
  }

  static DecodedRequest decode(ModelView view, ModelInferRequest request) {
    String key = SignatureSpec.DEFAULT_KEY;
    InferParameter signatureName = request.getParametersMap().get("signature_name");
    if (signatureName != null) {
      if (signatureName.getParameterChoiceCase()
          != InferParameter.ParameterChoiceCase.STRING_PARAM) {
        throw ServingException.invalid("parameter 'signature_name' must be a string");
      }
      key = signatureName.getStringParam();
    }
    SignatureSpec signature = view.signature(key);
    if (request.getInputsCount() == 0) {
      throw ServingException.invalid("'inputs' must name at least one tensor");
    }
    boolean raw = request.getRawInputContentsCount() > 0;
    if (raw && request.getRawInputContentsCount() != request.getInputsCount()) {
      throw ServingException.invalid(
          "raw_input_contents has "
              + request.getRawInputContentsCount()
              + " entries for "
              + request.getInputsCount()
              + " inputs; it needs one per input, in their order");
    }
    Map<String, TensorData> tensors = new HashMap<>();
    for (int i = 0; i < request.getInputsCount(); i++) {
      ModelInferRequest.InferInputTensor input = request.getInputs(i);
      String name = input.getName();
      signature.input(name);
      if (tensors.containsKey(name)) {
        throw ServingException.invalid("input '" + name + "' is given twice");
      }
      DType dtype =
          DType.fromOipName(input.getDatatype())
              .orElseThrow(
                  () ->
                      ServingException.invalid(
                          "input '"
                              + name
                              + "' has an unsupported datatype '"
                              + input.getDatatype()
                              + "'; supported: "
                              + Arrays.stream(DType.values()).map(DType::oipName).toList()));
      long[] shape = shape(name, input.getShapeList());
      if (raw && input.hasContents()) {
        throw ServingException.invalid(
            "input '" + name + "' has contents while the request uses raw_input_contents");
      }
      ByteString bytes = raw ? request.getRawInputContents(i) : null;
      tensors.put(
          name,
          raw
              ? RawTensors.read(name, dtype, shape, bytes.toByteArray(), 0, bytes.size())
              : contents(name, dtype, shape, input.getContents()));
    }
    Set<String> outputs = new LinkedHashSet<>();
    for (ModelInferRequest.InferRequestedOutputTensor output : request.getOutputsList()) {
      if (!signature.outputs().containsKey(output.getName())) {
        throw ServingException.invalid(
            "unknown output '"
                + output.getName()
                + "'; signature "
                + key
                + " has "
                + signature.outputs().keySet());
      }
      outputs.add(output.getName());
    }
    return new DecodedRequest(key, tensors, outputs);
  }

  private static long[] shape(String name, List<Long> dims) {
    long[] shape = new long[dims.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = dims.get(i);
      if (shape[i] < 0) {
        throw ServingException.invalid(
            "input '" + name + "': shape dimensions must be non-negative, got " + dims);
      }
    }
    try {
      TensorData.elementCount(shape);
    } catch (ArithmeticException e) {
      throw ServingException.invalid("input '" + name + "': shape " + dims + " is too large");
    }
    return shape;
  }

  /** An input from the typed contents its datatype uses, which must hold one value per element. */
  private static TensorData contents(
      String name, DType dtype, long[] shape, InferTensorContents contents) {
    long count = TensorData.elementCount(shape);
    int given =
        switch (dtype) {
          case FP32 -> contents.getFp32ContentsCount();
          case FP64 -> contents.getFp64ContentsCount();
          case INT32 -> contents.getIntContentsCount();
          case INT64 -> contents.getInt64ContentsCount();
          case UINT8 -> contents.getUintContentsCount();
          case BOOL -> contents.getBoolContentsCount();
          case BYTES -> contents.getBytesContentsCount();
        };
    if (given != count) {
      throw ServingException.invalid(
          "input '"
              + name
              + "' has "
              + given
              + " "
              + dtype.oipName()
              + " values for shape "
              + Arrays.toString(shape)
              + ", which holds "
              + count);
    }
    if (dtype == DType.BYTES) {
      byte[][] strings = new byte[given][];
      for (int i = 0; i < given; i++) {
        strings[i] = contents.getBytesContents(i).toByteArray();
      }
      return TensorData.ofStrings(shape, strings);
    }
    ByteBuffer out =
        ByteBuffer.allocate(given * dtype.elementSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < given; i++) {
      switch (dtype) {
        case FP32 -> out.putFloat(contents.getFp32Contents(i));
        case FP64 -> out.putDouble(contents.getFp64Contents(i));
        case INT32 -> out.putInt(contents.getIntContents(i));
        case INT64 -> out.putLong(contents.getInt64Contents(i));
        case UINT8 -> out.put((byte) contents.getUintContents(i));
        case BOOL -> out.put((byte) (contents.getBoolContents(i) ? 1 : 0));
        case BYTES -> throw new IllegalStateException("strings are read above");
      }
    }
    return TensorData.ofRaw(dtype, shape, out.array());
  }

  static ModelInferResponse encode(InferenceResult result, ModelInferRequest request) {
    ModelInferResponse.Builder response =
        ModelInferResponse.newBuilder()
            .setModelName(result.version().name())
            .setModelVersion(Long.toString(result.version().version()))
            .setId(request.getId());
    List<String> names = new ArrayList<>(result.request().outputs());
    if (names.isEmpty()) {
      names.addAll(result.outputs().keySet());
      names.sort(null);
    }
    for (String name : names) {
      TensorData tensor = result.outputs().get(name);
      ModelInferResponse.InferOutputTensor.Builder output =
          ModelInferResponse.InferOutputTensor.newBuilder()
              .setName(name)
              .setDatatype(tensor.dtype().oipName());
      for (long dim : tensor.shape()) {
        output.addShape(dim);
      }
      response.addOutputs(output);
      response.addRawOutputContents(UnsafeByteOperations.unsafeWrap(RawTensors.write(tensor)));
    }
    return response.build();
  }
}
