package io.tuneserve.training;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The cluster's fine-tuning jobs, seen the same from every node: each node posts the documents of
 * the jobs it runs ({@link JobDocument}); any node can read, follow and cancel any job. A job whose
 * node leaves the cluster before it ends is marked FAILED.
 */
public interface JobBoard {
  /** This node's id, recorded in the documents of the jobs it runs. */
  String nodeId();

  /** Records the latest document of a job this node runs. */
  void post(String id, String document);

  Optional<String> document(String id);

  /** Whether the job of an id is queued or running somewhere in the cluster. */
  default boolean active(String id) {
    return document(id).map(document -> !JobDocument.state(document).isFinal()).orElse(false);
  }

  /** Every job's document, newest first. */
  List<String> documents();

  /**
   * Calls {@code listener} with the job's current document and then each new one, on a thread of
   * the board. Returns what stops it.
   */
  Runnable follow(String id, Consumer<String> listener);

  /** Asks the node running a job to cancel it. */
  void requestCancel(String id);

  /** Called with the id of a job someone asked to cancel (on every node). */
  void onCancelRequested(Consumer<String> listener);

  /** Tells the cluster how many jobs this node could start at once. */
  void offerCapacity(int freeSlots);

  /** The other nodes that could start a job at once, the most free first. */
  List<String> nodesWithCapacity();

  /**
   * Takes the cluster-wide lock of a target model, so one job at a time trains it; waits at most
   * {@code millis}. The lock is released by {@link #releaseTarget} or when this node dies.
   */
  boolean tryClaimTarget(String target, long millis) throws InterruptedException;

  void releaseTarget(String target);
}
