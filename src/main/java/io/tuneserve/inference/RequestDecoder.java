package io.tuneserve.inference;

import io.tuneserve.serving.ModelView;

/**
 * Turns a wire request into a {@link DecodedRequest} once the target version is known (JSON numbers
 * need the signature's dtypes). Throws {@link io.tuneserve.model.ServingException} for a malformed
 * request.
 */
@FunctionalInterface
public interface RequestDecoder {
  DecodedRequest decode(ModelView version);
}
