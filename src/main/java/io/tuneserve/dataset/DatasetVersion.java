package io.tuneserve.dataset;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One version of a dataset: the segments it is made of, in order, and what they hold. A dataset
 * gets a new version whenever it changes; a version never changes, so a job that names one records
 * exactly the data it trained on.
 *
 * @param sha256 over the sha256 of each segment file, in order
 * @param createdAt when the dataset's first version was made
 * @param updatedAt when this version was made
 */
public record DatasetVersion(
    @JsonProperty("name") String name,
    @JsonProperty("version") long version,
    @JsonProperty("examples") long examples,
    @JsonProperty("bytes") long bytes,
    @JsonProperty("sha256") String sha256,
    @JsonProperty("labels") SortedMap<String, Long> labels,
    @JsonProperty("created_at") String createdAt,
    @JsonProperty("updated_at") String updatedAt,
    @JsonProperty("segments") List<Segment> segments) {

  public DatasetVersion {
    labels = new TreeMap<>(labels);
    segments = List.copyOf(segments);
  }

  /**
   * A file of examples, named by the sha256 of its content.
   *
   * @param labels examples per label in this segment
   */
  public record Segment(
      @JsonProperty("sha256") String sha256,
      @JsonProperty("examples") long examples,
      @JsonProperty("bytes") long bytes,
      @JsonProperty("labels") SortedMap<String, Long> labels) {
    public Segment {
      labels = new TreeMap<>(labels);
    }
  }

  /** Examples per label over all the given segments. */
  static SortedMap<String, Long> labelsOf(List<Segment> segments) {
    SortedMap<String, Long> all = new TreeMap<>();
    for (Segment segment : segments) {
      segment.labels().forEach((label, count) -> all.merge(label, count, Long::sum));
    }
    return all;
  }

  /** The class names a job on this version trains, in index order. */
  public List<String> classNames() {
    return List.copyOf(labels.keySet());
  }

  /** This version's summary without its segment list, for listings. */
  public Map<String, Object> summary() {
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("name", name);
    summary.put("version", version);
    summary.put("examples", examples);
    summary.put("bytes", bytes);
    summary.put("sha256", sha256);
    summary.put("labels", labels);
    summary.put("created_at", createdAt);
    summary.put("updated_at", updatedAt);
    return summary;
  }
}
