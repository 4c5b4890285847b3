package io.tuneserve.registry;

import io.tuneserve.repository.DirectoryTrees;
import io.tuneserve.repository.ModelRepository;
import io.tuneserve.repository.ModelSource;
import io.tuneserve.repository.VersionManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps this node's model repository and the cluster's registry in agreement. Versions found on
 * disk that the registry does not know are registered (their files put in the checkpoint store);
 * registered versions this node lacks are fetched, checked against their sha256 and installed;
 * deleted versions are removed. Publishing a new version and deleting one go through here too,
 * under the model's cluster-wide lock, so version numbers are never handed out twice.
 */
public final class RegistrySync {
  private static final Logger LOG = Logger.getLogger(RegistrySync.class.getName());

  private final ModelRegistry registry;
  private final Checkpoints checkpoints;
  private final ModelRepository repository;
  private final Clock clock;

  /** model.yaml text this node and the registry last agreed on, by model. */
  private final Map<String, String> agreedSettings = new ConcurrentHashMap<>();

  /** Checkpoint digest of the local copy of each version, computed once. */
  private final Map<String, String> localDigests = new ConcurrentHashMap<>();

  /** Versions refused on this node, with the registered digest they were refused at and why. */
  private final Map<String, Refusal> refused = new ConcurrentHashMap<>();

  /** The states this node last reported, by version key. */
  private final Map<String, NodeVersionState> reported = new HashMap<>();

  /**
   * @param retry whether to try again at the next round (a fetch that failed) rather than only when
   *     the registered checkpoint changes (files that did not match)
   */
  private record Refusal(String model, long version, String sha256, String reason, boolean retry) {}

  public RegistrySync(
      ModelRegistry registry, Checkpoints checkpoints, ModelRepository repository, Clock clock) {
    this.registry = registry;
    this.checkpoints = checkpoints;
    this.repository = repository;
    this.clock = clock;
  }

  public ModelRegistry registry() {
    return registry;
  }

  /** One round of agreement between the repository on disk and the registry. */
  public synchronized void sync() throws Exception {
    Map<String, ModelSource> local = repository.scan();
    Map<String, VersionRecord> registered = new HashMap<>();
    registry.versions().forEach(v -> registered.put(v.key(), v));
    Set<String> deleted = registry.deletedVersions();
    Map<String, ModelRecord> models = registry.models();
    for (ModelSource model : local.values()) {
      if (model.versions().isEmpty() && !models.containsKey(model.name())) {
        continue; // only a staging directory, or an empty one: nothing to share yet
      }
      syncSettings(model.name());
      registerLocalVersions(model, registered, deleted);
    }
    for (ModelRecord model : models.values()) {
      if (!local.containsKey(model.name())) {
        syncSettings(model.name());
      }
    }
    List<VersionRecord> versions = registry.versions();
    for (VersionRecord version : versions) {
      installIfMissing(version);
    }
    Map<String, ModelSource> installed = repository.scan();
    for (VersionRecord version : versions) {
      ModelSource model = installed.get(version.model());
      if (model != null
          && model.versions().contains(version.version())
          && repository.pinned(version.model(), version.version()) != version.pinned()) {
        repository.setPinned(version.model(), version.version(), version.pinned());
      }
    }
    deleted = registry.deletedVersions();
    for (ModelSource model : installed.values()) {
      for (long version : model.versions()) {
        if (deleted.contains(VersionRecord.key(model.name(), version))) {
          removeLocal(model.name(), version);
        }
      }
    }
  }

  /**
   * The registry's model.yaml wins, unless this node's copy changed since they last agreed and the
   * registry's did not: then the local edit is the news and goes to the registry.
   */
  void syncSettings(String model) throws IOException {
    String local = repository.settingsText(model);
    Optional<ModelRecord> registered = registry.model(model);
    String agreed = agreedSettings.get(model);
    if (registered.isEmpty()) {
      registry.putModel(new ModelRecord(model, local));
      agreedSettings.put(model, local);
      return;
    }
    String shared = registered.get().settings();
    if (local.equals(shared)) {
      agreedSettings.put(model, local);
    } else if (agreed != null && !local.equals(agreed) && shared.equals(agreed)) {
      registry.putModel(new ModelRecord(model, local));
      agreedSettings.put(model, local);
      LOG.info(() -> "model.yaml of " + model + " changed on this node; the cluster takes it");
    } else {
      repository.writeSettingsText(model, shared);
      agreedSettings.put(model, shared);
    }
  }

  private void registerLocalVersions(
      ModelSource model, Map<String, VersionRecord> registered, Set<String> deleted)
      throws Exception {
    List<Long> unknown = new ArrayList<>();
    for (long version : model.versions()) {
      String key = VersionRecord.key(model.name(), version);
      if (refused.containsKey(key)) {
        continue;
      }
      VersionRecord record = registered.get(key);
      if (record != null) {
        setAsideIfDifferent(model, record);
      } else if (!deleted.contains(key)) {
        unknown.add(version);
      }
    }
    if (unknown.isEmpty()) {
      return;
    }
    registry.underModelLock(
        model.name(),
        () -> {
          for (long version : unknown) {
            if (registry.version(model.name(), version).isEmpty()
                && !registry.wasDeleted(model.name(), version)) {
              register(model, version);
            }
          }
          return null;
        });
  }

  /** Registers a version found on disk (dropped in by hand, or kept from an earlier run). */
  private void register(ModelSource model, long version) throws IOException {
    Path directory = model.versionDirectory(version);
    VersionManifest manifest = VersionManifest.of(directory);
    Optional<VersionManifest> written = VersionManifest.read(directory);
    if (written.isPresent()) {
      List<String> differences = written.get().differences(manifest);
      if (!differences.isEmpty()) {
        refuse(
            model.name(),
            version,
            written.get().digest(),
            "refused: the version's files do not match its manifest: "
                + String.join("; ", differences),
            false);
        return;
      }
    }
    registry.putVersion(
        VersionRecords.describe(
            model.name(),
            version,
            manifest,
            checkpoints.put(model.name(), version, directory, manifest),
            directory,
            model.lineage(version).orElse(null),
            repository.pinned(model.name(), version),
            registry.nodeId(),
            clock.instant()));
    localDigests.put(VersionRecord.key(model.name(), version), manifest.digest());
    LOG.info(() -> "registered " + model.name() + " version " + version + " from " + directory);
  }

  /** A local copy that differs from the registered version is kept aside, not served. */
  private void setAsideIfDifferent(ModelSource model, VersionRecord registered) throws IOException {
    String key = registered.key();
    String digest = localDigests.get(key);
    if (digest == null) {
      digest = VersionManifest.of(model.versionDirectory(registered.version())).digest();
      localDigests.put(key, digest);
    }
    if (!digest.equals(registered.sha256())) {
      LOG.warning(
          () ->
              "the local copy of "
                  + key
                  + " differs from the registered one; it is kept as a hidden directory and"
                  + " the registered version installed");
      repository.remove(model.name(), registered.version(), "conflicting");
      localDigests.remove(key);
    }
  }

  private void installIfMissing(VersionRecord version) throws IOException {
    Path directory =
        repository.root().resolve(version.model()).resolve(Long.toString(version.version()));
    Refusal before = refused.get(version.key());
    if (Files.exists(directory)
        || (before != null && !before.retry() && before.sha256().equals(version.sha256()))) {
      return;
    }
    Path fetched = repository.stagingDirectory(version.model(), "fetch-" + UUID.randomUUID());
    try {
      Files.createDirectories(fetched);
      checkpoints.fetch(version, fetched);
      VersionManifest registered = new VersionManifest(version.files(), version.bytes());
      List<String> differences = registered.differences(fetched);
      if (!differences.isEmpty()) {
        refuse(
            version.model(),
            version.version(),
            version.sha256(),
            "refused: the checkpoint does not match its registered sha256: "
                + String.join("; ", differences),
            false);
        return;
      }
      registered.write(fetched);
      repository.install(version.model(), version.version(), fetched);
      localDigests.put(version.key(), version.sha256());
      refused.remove(version.key());
      LOG.info(() -> "installed " + version.key() + " from the " + version.store() + " store");
    } catch (IOException e) {
      refuse(
          version.model(),
          version.version(),
          version.sha256(),
          "cannot fetch the checkpoint: " + e.getMessage(),
          true);
    } finally {
      deleteQuietly(fetched);
    }
  }

  /** Notes the checkpoint digest of a version this node has just installed itself. */
  void installedHere(String key, String digest) {
    localDigests.put(key, digest);
  }

  private void refuse(String model, long version, String sha256, String reason, boolean retry) {
    refused.put(
        VersionRecord.key(model, version), new Refusal(model, version, sha256, reason, retry));
    LOG.warning(() -> model + " version " + version + ": " + reason);
  }

  void removeLocal(String model, long version) throws IOException {
    repository.setPinned(model, version, false);
    repository.remove(model, version, null);
    localDigests.remove(VersionRecord.key(model, version));
    LOG.info(() -> "removed deleted " + model + " version " + version);
  }

  /**
   * Tells the registry how this node's versions are doing: the states the model manager reports
   * plus the versions refused before installing; only changes are written.
   */
  public synchronized void reportStates(Map<String, NodeVersionState> managerStates) {
    Map<String, NodeVersionState> now = new HashMap<>(managerStates);
    String at = clock.instant().toString();
    refused.forEach(
        (key, refusal) ->
            now.putIfAbsent(
                key,
                new NodeVersionState(
                    registry.nodeId(),
                    refusal.model(),
                    refusal.version(),
                    NodeVersionState.REFUSED,
                    refusal.reason(),
                    at)));
    now.forEach(
        (key, state) -> {
          NodeVersionState before = reported.get(key);
          if (before == null
              || !before.state().equals(state.state())
              || !java.util.Objects.equals(before.error(), state.error())) {
            registry.reportState(state);
            reported.put(key, state);
          }
        });
    for (String key : new ArrayList<>(reported.keySet())) {
      if (!now.containsKey(key)) {
        NodeVersionState gone = reported.remove(key);
        registry.clearState(gone.model(), gone.version());
      }
    }
  }

  private static void deleteQuietly(Path directory) {
    try {
      DirectoryTrees.delete(directory);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot remove " + directory, e);
    }
  }
}
