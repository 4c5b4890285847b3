package io.tuneserve.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** One loaded version of a model, ready to run. Safe for concurrent {@link #run} calls. */
public interface LoadedModel extends AutoCloseable {

  /** Signatures by key, as the model declares them. */
  Map<String, SignatureSpec> signatures();

  /**
   * Runs a signature.
   *
   * @param inputs every input of the signature, by alias
   * @param outputs the output aliases to compute
   * @throws ServingException with {@link ErrorKind#INVALID_ARGUMENT} when the model rejects the
   *     inputs, {@link ErrorKind#INTERNAL} for any other failure
   */
  Map<String, TensorData> run(
      String signature, Map<String, TensorData> inputs, Set<String> outputs);

  /**
   * Why the model cannot run a signature on inputs of these shapes, or empty when it can. Asked
   * only for shapes the signature does not declare; a model that cannot tell refuses them all.
   *
   * @param shapes the concrete shape of every input of the signature, by alias
   */
  default Optional<String> shapeRefusal(String signature, Map<String, long[]> shapes) {
    return Optional.of("the model accepts only the shapes its signature declares");
  }

  /**
   * What the signature writes when it runs (a variable update of a training step, an initializer, a
   * saver), or empty when it only computes. A signature that writes is never run for a request.
   */
  default Optional<String> writes(String signature) {
    return Optional.empty();
  }

  /**
   * Whether requests may be queued and batched for this model. A model that itself waits for
   * another model's batches (a head over a shared base) says no, so it never holds a batch thread.
   */
  default boolean batchable() {
    return true;
  }

  /**
   * The layers the serving signature's output depends on that could give features, nearest the
   * output first; empty when the model cannot tell (its layers are not in its graph).
   */
  default List<Layer> layers() {
    return List.of();
  }

  /** What was done to the model as it loaded, or why its layers are not reachable; may be empty. */
  default String loadNote() {
    return "";
  }

  /** Size of the model's files on disk, for reporting. */
  long sizeBytes();

  @Override
  void close();
}
