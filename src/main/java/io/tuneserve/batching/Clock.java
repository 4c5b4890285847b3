package io.tuneserve.batching;

/** A source of monotonic time, injectable so tests can drive it. */
@FunctionalInterface
public interface Clock {
  Clock SYSTEM = System::nanoTime;

  long nanoTime();
}
