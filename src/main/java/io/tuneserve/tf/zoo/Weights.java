package io.tuneserve.tf.zoo;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.random.TruncatedNormal;
import org.tensorflow.types.TFloat32;

/**
 * New variables of a zoo network: He-initialised weights, each with a seed of its own, and zeros.
 */
final class Weights {
  private final long seed;
  private int next;

  Weights(long seed) {
    this.seed = seed;
  }

  /** Truncated normal scaled by sqrt(2 / fanIn), so ReLU layers keep their activations' scale. */
  Variable<TFloat32> heNormal(Ops scope, String name, long[] shape, long fanIn) {
    Ops init = scope.withInitScope();
    Operand<TFloat32> initial =
        init.math.mul(
            init.random.truncatedNormal(
                init.constant(shape), TFloat32.class, TruncatedNormal.seed(seed + next++)),
            init.constant((float) Math.sqrt(2.0 / fanIn)));
    return scope.withName(name).variable(initial);
  }

  static Variable<TFloat32> zeros(Ops scope, String name, long[] shape) {
    Ops init = scope.withInitScope();
    return scope.withName(name).variable(init.zeros(init.constant(shape), TFloat32.class));
  }
}
