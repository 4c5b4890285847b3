package io.tuneserve.repository;

import java.util.List;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;

/** Which of the versions on disk a model should serve (TF Serving's model_version_policy). */
public sealed interface VersionPolicy {

  /** The versions to serve, chosen from those available, in ascending order. */
  NavigableSet<Long> select(NavigableSet<Long> available);

  /** The newest {@code count} versions. */
  record Latest(int count) implements VersionPolicy {
    public Latest {
      if (count < 1) {
        throw new IllegalArgumentException("latest must be at least 1, got " + count);
      }
    }

    @Override
    public NavigableSet<Long> select(NavigableSet<Long> available) {
      NavigableSet<Long> chosen = new TreeSet<>();
      for (Long version : available.descendingSet()) {
        if (chosen.size() == count) {
          break;
        }
        chosen.add(version);
      }
      return chosen;
    }
  }

  /** Every version on disk. */
  record All() implements VersionPolicy {
    @Override
    public NavigableSet<Long> select(NavigableSet<Long> available) {
      return new TreeSet<>(available);
    }
  }

  /** Exactly the listed versions that exist. */
  record Specific(Set<Long> versions) implements VersionPolicy {
    public Specific {
      if (versions.isEmpty()) {
        throw new IllegalArgumentException("specific needs at least one version");
      }
      versions = Set.copyOf(versions);
    }

    public static Specific of(List<Long> versions) {
      return new Specific(Set.copyOf(versions));
    }

    @Override
    public NavigableSet<Long> select(NavigableSet<Long> available) {
      NavigableSet<Long> chosen = new TreeSet<>(available);
      chosen.retainAll(versions);
      return chosen;
    }
  }
}
