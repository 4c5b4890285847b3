package io.tuneserve.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.tuneserve.training.JobBoard;
import io.tuneserve.training.JobDocument;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Jobs in Hazelcast maps: documents by job id, cancel requests, and one lock per target model. When
 * a member leaves, every survivor marks the unfinished jobs of that member FAILED (a
 * compare-and-set, so the first one wins and the others change nothing).
 */
final class HazelcastJobBoard implements JobBoard {
  private static final Logger LOG = Logger.getLogger(HazelcastJobBoard.class.getName());

  /** How long the cluster keeps a job's document after its last change. */
  static final long DOCUMENT_DAYS = 7;

  private final String nodeId;
  private final IMap<String, String> documents;
  private final IMap<String, String> cancels;
  private final IMap<String, String> targets;
  private final IMap<String, Integer> capacity;

  HazelcastJobBoard(HazelcastInstance hazelcast) {
    this.nodeId = hazelcast.getCluster().getLocalMember().getUuid().toString();
    this.documents = hazelcast.getMap("tuneserve.jobs");
    this.cancels = hazelcast.getMap("tuneserve.job-cancels");
    this.targets = hazelcast.getMap("tuneserve.job-targets");
    this.capacity = hazelcast.getMap("tuneserve.training-capacity");
    MemberDepartures.listen(
        hazelcast, member -> failJobsOf(member.getUuid().toString(), member.toString()));
  }

  private void failJobsOf(String node, String member) {
    capacity.delete(node);
    for (Map.Entry<String, String> job : documents.entrySet()) {
      String document = job.getValue();
      if (node.equals(JobDocument.node(document)) && !JobDocument.state(document).isFinal()) {
        String failed =
            JobDocument.failed(
                document,
                "the node running the job (" + member + ") left the cluster; nothing was published",
                Instant.now());
        if (documents.replace(job.getKey(), document, failed)) {
          LOG.warning(() -> "job " + job.getKey() + " failed: its node " + member + " left");
        }
      }
    }
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public void post(String id, String document) {
    documents.set(id, document, DOCUMENT_DAYS, TimeUnit.DAYS);
  }

  @Override
  public Optional<String> document(String id) {
    return Optional.ofNullable(documents.get(id));
  }

  @Override
  public List<String> documents() {
    List<Map.Entry<Instant, String>> dated = new ArrayList<>();
    for (String document : documents.values()) {
      dated.add(Map.entry(JobDocument.createdAt(document), document));
    }
    dated.sort(Map.Entry.<Instant, String>comparingByKey().reversed());
    return dated.stream().map(Map.Entry::getValue).toList();
  }

  @Override
  public Runnable follow(String id, Consumer<String> listener) {
    Object lock = new Object();
    class Follower
        implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String> {
      @Override
      public void entryAdded(com.hazelcast.core.EntryEvent<String, String> event) {
        synchronized (lock) {
          listener.accept(event.getValue());
        }
      }

      @Override
      public void entryUpdated(com.hazelcast.core.EntryEvent<String, String> event) {
        synchronized (lock) {
          listener.accept(event.getValue());
        }
      }
    }
    UUID registration = documents.addEntryListener(new Follower(), id, true);
    String current = documents.get(id);
    if (current != null) {
      synchronized (lock) {
        listener.accept(current);
      }
    }
    return () -> documents.removeEntryListener(registration);
  }

  @Override
  public void requestCancel(String id) {
    cancels.set(id, Instant.now().toString(), 1, TimeUnit.HOURS);
  }

  @Override
  public void onCancelRequested(Consumer<String> listener) {
    cancels.addEntryListener(
        (EntryAddedListener<String, String>) event -> listener.accept(event.getKey()), false);
  }

  @Override
  public void offerCapacity(int freeSlots) {
    capacity.set(nodeId, freeSlots);
  }

  @Override
  public List<String> nodesWithCapacity() {
    List<Map.Entry<String, Integer>> free = new ArrayList<>();
    capacity.forEach(
        (node, slots) -> {
          if (slots > 0 && !node.equals(nodeId)) {
            free.add(Map.entry(node, slots));
          }
        });
    free.sort(Map.Entry.<String, Integer>comparingByValue().reversed());
    return free.stream().map(Map.Entry::getKey).toList();
  }

  @Override
  public boolean tryClaimTarget(String target, long millis) throws InterruptedException {
    return targets.tryLock(target, millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void releaseTarget(String target) {
    targets.unlock(target);
  }
}
