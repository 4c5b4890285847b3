package io.tuneserve.rollout;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * What one version's requests did during a trial on some nodes: how many, how many failed, and
 * their latencies as an HdrHistogram (compressed, base64), so figures of several nodes add up.
 */
public record TrafficFigures(
    @JsonProperty("requests") long requests,
    @JsonProperty("errors") long errors,
    @JsonProperty("latency") String latency) {

  /** Latencies are kept from 1 microsecond to 1 hour, to 3 significant digits. */
  static Histogram newHistogram() {
    return new Histogram(1, 3_600_000_000L, 3);
  }

  public static final TrafficFigures NONE = of(0, 0, newHistogram());

  static TrafficFigures of(long requests, long errors, Histogram latencyMicros) {
    ByteBuffer buffer = ByteBuffer.allocate(latencyMicros.getNeededByteBufferCapacity());
    int length = latencyMicros.encodeIntoCompressedByteBuffer(buffer);
    return new TrafficFigures(
        requests,
        errors,
        Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buffer.array(), length)));
  }

  @JsonIgnore
  Histogram histogram() {
    try {
      return Histogram.decodeFromCompressedByteBuffer(
          ByteBuffer.wrap(Base64.getDecoder().decode(latency)), 0);
    } catch (DataFormatException e) {
      throw new IllegalStateException("a trial's latency figures do not decode", e);
    }
  }

  /** These figures and {@code other}'s together. */
  public TrafficFigures plus(TrafficFigures other) {
    Histogram both = histogram();
    both.add(other.histogram());
    return of(requests + other.requests, errors + other.errors, both);
  }

  /** Failed requests as a share of all; 0 when there were none. */
  @JsonIgnore
  public double errorRate() {
    return requests == 0 ? 0 : errors / (double) requests;
  }

  /** The 99th percentile latency in milliseconds; 0 when nothing was measured. */
  @JsonIgnore
  public double p99Millis() {
    Histogram histogram = histogram();
    return histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(99) / 1000.0;
  }
}
