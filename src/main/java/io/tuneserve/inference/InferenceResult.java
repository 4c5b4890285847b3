package io.tuneserve.inference;

import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.serving.ModelView;
import java.util.Map;

/** The outputs of one request, with the version and signature that produced them. */
public record InferenceResult(
    ModelView version,
    SignatureSpec signature,
    DecodedRequest request,
    Map<String, TensorData> outputs) {}
