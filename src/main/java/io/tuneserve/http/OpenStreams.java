package io.tuneserve.http;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The long-lived connections of one HTTP verticle (inference WebSockets, job event streams), which
 * the server ends itself when it shuts down: they would otherwise hold the drain open until its
 * time runs out.
 */
final class OpenStreams {
  private final Set<Runnable> goingAway = ConcurrentHashMap.newKeySet();

  /**
   * Registers what ends a stream politely (it runs on whatever thread calls {@link #endAll}, and
   * must hop to its own context); returns what unregisters it.
   */
  Runnable add(Runnable end) {
    goingAway.add(end);
    return () -> goingAway.remove(end);
  }

  void endAll() {
    goingAway.forEach(Runnable::run);
  }
}
