package io.tuneserve.tf;

/**
 * Session settings passed to TensorFlow through its ConfigProto.
 *
 * @param intraOpThreads threads inside one op (0 = TensorFlow's choice)
 * @param interOpThreads ops run in parallel (0 = TensorFlow's choice)
 * @param gpuAllowGrowth allocate GPU memory as needed instead of all up front
 * @param gpuMemoryFraction fraction of each GPU's memory a session may take (0 = no limit)
 */
public record TfRuntimeOptions(
    int intraOpThreads, int interOpThreads, boolean gpuAllowGrowth, double gpuMemoryFraction) {

  public static TfRuntimeOptions defaults() {
    return new TfRuntimeOptions(0, 0, true, 0);
  }
}
