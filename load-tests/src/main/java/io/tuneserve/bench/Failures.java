package io.tuneserve.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Failed requests of a step, counted by what went wrong, so a report can say which failures. */
final class Failures {
  private final Map<String, LongAdder> byKind = new ConcurrentHashMap<>();

  void add(String kind) {
    byKind.computeIfAbsent(kind, k -> new LongAdder()).increment();
  }

  /** A failed request; the kind is the start of the error's message (the status and reply). */
  void add(Throwable cause) {
    String message = String.valueOf(cause.getMessage());
    add(cause.getClass().getSimpleName() + ": " + message.substring(0, Math.min(100, message.length())));
  }

  long total() {
    return byKind.values().stream().mapToLong(LongAdder::sum).sum();
  }

  Map<String, Long> counts() {
    Map<String, Long> counts = new TreeMap<>();
    byKind.forEach((kind, count) -> counts.put(kind, count.sum()));
    return counts;
  }
}
