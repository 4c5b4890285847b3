package io.tuneserve.tf;

import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.proto.SignatureDef;

/**
 * A SavedModel open in a session, in the form tuneserve runs and trains it.
 *
 * @param graph the graph the session runs
 * @param session the session, with every variable holding its saved value
 * @param signatures the SavedModel's signatures; their tensor names name tensors of {@code graph}
 * @param untrainable variables the model marks as not trainable, by name
 * @param layersInline whether the layers are nodes of {@code graph} (a TF1 graph, or a TF2 model
 *     whose functions were inlined), so that any of them can be fetched and trained
 * @param note why the layers are not inline, or what was done to inline them
 */
record OpenModel(
    Graph graph,
    Session session,
    Map<String, SignatureDef> signatures,
    Set<String> untrainable,
    boolean layersInline,
    String note,
    AutoCloseable resources)
    implements AutoCloseable {

  /** The same model with other signatures, and a note added. */
  OpenModel with(Map<String, SignatureDef> signatures, String more) {
    String joined = note.isEmpty() ? more : more.isEmpty() ? note : note + "; " + more;
    return new OpenModel(graph, session, signatures, untrainable, layersInline, joined, resources);
  }

  @Override
  public void close() {
    try {
      resources.close();
    } catch (Exception e) {
      throw new IllegalStateException("cannot close the model's session", e);
    }
  }
}
