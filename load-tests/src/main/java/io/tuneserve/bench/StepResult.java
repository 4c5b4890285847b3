package io.tuneserve.bench;

import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What one load step measured.
 *
 * @param concurrency requests kept in flight (closed loop), or 0 for an open-loop step
 * @param rate requests per second offered (open loop), or 0
 * @param failures failed requests by what went wrong
 */
record StepResult(
    String target,
    Protocol protocol,
    int imagesPerRequest,
    int concurrency,
    double rate,
    long requests,
    long errors,
    double seconds,
    Histogram latencyMicros,
    Map<String, Long> failures) {

  double requestsPerSecond() {
    return requests / seconds;
  }

  double imagesPerSecond() {
    return requests * (double) imagesPerRequest / seconds;
  }

  double percentileMillis(double percentile) {
    return latencyMicros.getTotalCount() == 0
        ? Double.NaN
        : latencyMicros.getValueAtPercentile(percentile) / 1000.0;
  }

  double maxMillis() {
    return latencyMicros.getTotalCount() == 0 ? Double.NaN : latencyMicros.getMaxValue() / 1000.0;
  }
}
