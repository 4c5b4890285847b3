package io.tuneserve.tf.zoo;

import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.types.TFloat32;

/**
 * The {@code serving_default} signature of a zoo classifier: images to probabilities and logits.
 */
final class ClassifierSignature {
  private ClassifierSignature() {}

  static Signature of(
      String input,
      Operand<TFloat32> images,
      Operand<TFloat32> probabilities,
      Operand<TFloat32> logits) {
    return Signature.builder()
        .key("serving_default")
        .methodName("tensorflow/serving/predict")
        .input(input, images)
        .output("probabilities", probabilities)
        .output("logits", logits)
        .build();
  }
}
