package io.tuneserve.registry;

import io.tuneserve.model.ServingException;
import io.tuneserve.repository.ModelRepository;
import io.tuneserve.repository.ModelSettings;
import io.tuneserve.repository.ModelSource;
import io.tuneserve.repository.VersionManifest;
import io.tuneserve.serving.VersionLabels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The registry's writes: publishing a new version, deleting one, pinning one, and the retention
 * that deletes old ones; each under the model's cluster-wide lock, so version numbers are never
 * handed out twice.
 */
public final class VersionPublisher {
  private static final Logger LOG = Logger.getLogger(VersionPublisher.class.getName());

  private final ModelRegistry registry;
  private final Checkpoints checkpoints;
  private final ModelRepository repository;
  private final RegistrySync sync;
  private final int keepVersions;
  private final Clock clock;
  private final VersionLabels labels;

  /**
   * @param keepVersions versions kept per model beyond pinned, labelled ones and bases (0: all)
   */
  public VersionPublisher(
      ModelRegistry registry,
      Checkpoints checkpoints,
      ModelRepository repository,
      RegistrySync sync,
      int keepVersions,
      Clock clock,
      VersionLabels labels) {
    this.labels = labels;
    this.registry = registry;
    this.checkpoints = checkpoints;
    this.repository = repository;
    this.sync = sync;
    this.keepVersions = keepVersions;
    this.clock = clock;
  }

  public ModelRegistry registry() {
    return registry;
  }

  /** The cluster's version labels, which publishing moves and retention keeps. */
  public VersionLabels labels() {
    return labels;
  }

  /**
   * Publishes a staged version directory as the model's next version: its files go to the
   * checkpoint store, then into this node's repository, then its record into the registry, where
   * every node sees it. Older versions beyond the retention are deleted.
   *
   * @return the new version number
   */
  public long publish(String model, Path staged, ModelSettings settingsForNewModel)
      throws Exception {
    return publish(model, staged, settingsForNewModel, VersionLabels.STABLE);
  }

  /**
   * Publishes as {@link #publish(String, Path, ModelSettings)} does, under a label: as {@code
   * stable}, the new version becomes what unlabelled requests get (the {@code stable} label moves
   * to it where the model has one); under any other label (a {@code candidate}), that label names
   * it and unlabelled requests keep the version they had: if the model has no {@code stable} label
   * yet, its newest version so far gets one first.
   */
  public long publish(String model, Path staged, ModelSettings settingsForNewModel, String label)
      throws Exception {
    VersionLabels.checkName(label);
    boolean stable = label.equals(VersionLabels.STABLE);
    return registry.underModelLock(
        model,
        () -> {
          long previous = registry.highestVersion(model);
          if (!stable && previous > 0 && !labels.of(model).containsKey(VersionLabels.STABLE)) {
            labels.set(model, VersionLabels.STABLE, previous);
          }
          long local =
              repository
                  .scan(model)
                  .map(m -> m.versions())
                  .filter(v -> !v.isEmpty())
                  .map(v -> v.last())
                  .orElse(0L);
          long version = Math.max(registry.highestVersion(model), local) + 1;
          if (registry.model(model).isEmpty() && repository.settingsText(model).isEmpty()) {
            repository.writeSettings(model, settingsForNewModel);
          }
          sync.syncSettings(model);
          VersionManifest manifest = VersionManifest.of(staged);
          manifest.write(staged);
          StoredCheckpoint stored = checkpoints.put(model, version, staged, manifest);
          String lineage = readLineage(staged);
          VersionRecord record =
              VersionRecords.describe(
                  model,
                  version,
                  manifest,
                  stored,
                  staged,
                  lineage,
                  false,
                  registry.nodeId(),
                  clock.instant());
          try {
            repository.install(model, version, staged);
          } catch (IOException e) {
            checkpoints.delete(record);
            throw e;
          }
          sync.installedHere(record.key(), record.sha256());
          registry.putVersion(record);
          if (!stable || labels.of(model).containsKey(VersionLabels.STABLE)) {
            labels.set(model, label, version);
          }
          applyRetention(model);
          return version;
        });
  }

  private static String readLineage(Path directory) throws IOException {
    Path file = directory.resolve(ModelSource.LINEAGE_FILE);
    return Files.isRegularFile(file) ? Files.readString(file) : null;
  }

  /** Deletes the versions beyond the newest {@code keepVersions}, except pinned ones and bases. */
  private void applyRetention(String model) {
    if (keepVersions == 0) {
      return;
    }
    List<VersionRecord> all = registry.versions();
    Set<String> bases = new HashSet<>();
    all.forEach(
        v -> {
          if (v.headBase() != null) {
            bases.add(v.headBase());
          }
        });
    List<VersionRecord> versions =
        all.stream()
            .filter(v -> v.model().equals(model))
            .sorted(Comparator.comparingLong(VersionRecord::version).reversed())
            .toList();
    for (VersionRecord version :
        versions.subList(Math.min(keepVersions, versions.size()), versions.size())) {
      if (!version.pinned()
          && !bases.contains(version.key())
          && !labels.of(model).containsValue(version.version())) {
        deleteRecord(version);
        LOG.info(() -> "retention deleted " + version.key());
      }
    }
  }

  private void deleteRecord(VersionRecord version) {
    registry.removeVersion(version.model(), version.version());
    try {
      checkpoints.delete(version);
      sync.removeLocal(version.model(), version.version());
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot remove the files of " + version.key(), e);
    }
  }

  /** Deletes a version from the registry, the checkpoint store and (by their sync) every node. */
  public void delete(String model, long version) throws Exception {
    registry.underModelLock(
        model,
        () -> {
          VersionRecord record = registered(model, version);
          List<String> heads =
              registry.versions().stream()
                  .filter(v -> record.key().equals(v.headBase()))
                  .map(VersionRecord::key)
                  .toList();
          if (!heads.isEmpty()) {
            throw ServingException.conflict(
                record.key()
                    + " is the base of the head-only versions "
                    + heads
                    + "; delete those first");
          }
          List<String> naming =
              labels.of(model).entrySet().stream()
                  .filter(label -> label.getValue() == version)
                  .map(java.util.Map.Entry::getKey)
                  .toList();
          if (!naming.isEmpty()) {
            throw ServingException.conflict(
                record.key() + " is labelled " + naming + "; move or remove those labels first");
          }
          deleteRecord(record);
          return null;
        });
  }

  private VersionRecord registered(String model, long version) {
    return registry
        .version(model, version)
        .orElseThrow(
            () ->
                ServingException.notFound(
                    "no version " + version + " of " + model + " in the registry"));
  }

  /** Marks a version as kept whatever the retention (or no longer). */
  public VersionRecord pin(String model, long version, boolean pinned) throws Exception {
    return registry.underModelLock(
        model,
        () -> {
          VersionRecord record = registered(model, version);
          VersionRecord changed = record.withPinned(pinned);
          registry.putVersion(changed);
          return changed;
        });
  }
}
