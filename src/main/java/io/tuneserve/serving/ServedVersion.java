package io.tuneserve.serving;

import io.tuneserve.model.Layer;
import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.RequestScope;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.repository.ModelSettings;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One version of a model under the manager's care. Requests hold it between {@link #tryAcquire} and
 * {@link #release}; an unloading version closes only after the last holder releases it.
 */
public final class ServedVersion implements ModelView {
  private final String name;
  private final long version;
  private volatile ModelSettings settings;
  private final String lineage;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile VersionState state = VersionState.LOADING;
  private volatile String error = "";
  private volatile LoadedModel model;
  private volatile VersionRunner runner;
  private Runnable onUnloaded = () -> {};

  ServedVersion(String name, long version, ModelSettings settings, String lineage) {
    this.name = name;
    this.version = version;
    this.settings = settings;
    this.lineage = lineage;
  }

  /** The most rows one batch of this version may hold; 0 when it is not available or unbatched. */
  int maxBatchSize() {
    VersionRunner current = runner;
    return current == null ? 0 : current.maxBatchSize();
  }

  /** The JSON a fine-tuning job recorded about this version's origin, or null. */
  public String lineage() {
    return lineage;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long version() {
    return version;
  }

  @Override
  public ModelSettings settings() {
    return settings;
  }

  @Override
  public Map<String, SignatureSpec> signatures() {
    LoadedModel loaded = model;
    return loaded == null ? Map.of() : loaded.signatures();
  }

  /** The loaded model's candidate feature layers, nearest the output first. */
  public List<Layer> layers() {
    LoadedModel loaded = model;
    return loaded == null ? List.of() : loaded.layers();
  }

  /** What was done to the model as it loaded, or why its layers are not reachable. */
  public String loadNote() {
    LoadedModel loaded = model;
    return loaded == null ? "" : loaded.loadNote();
  }

  public VersionState state() {
    return state;
  }

  /** Why the version failed, or an empty string. */
  public String error() {
    return error;
  }

  /** Runs a signature; the caller holds this version (see {@link #tryAcquire}). */
  public CompletableFuture<Map<String, TensorData>> run(
      SignatureSpec signature, Map<String, TensorData> inputs, Set<String> outputs) {
    return run(signature, inputs, outputs, RequestScope.unbounded());
  }

  /** Runs the signature unless the request's scope ends before it gets its turn. */
  public CompletableFuture<Map<String, TensorData>> run(
      SignatureSpec signature,
      Map<String, TensorData> inputs,
      Set<String> outputs,
      RequestScope scope) {
    return runner.run(signature, inputs, outputs, scope);
  }

  /** What the signature writes when it runs (see {@link LoadedModel#writes}), if anything. */
  public java.util.Optional<String> writes(String signature) {
    LoadedModel loaded = model;
    return loaded == null ? java.util.Optional.empty() : loaded.writes(signature);
  }

  /**
   * Why this version cannot run the signature on inputs of these shapes (empty when it can),
   * answered off the caller's thread: the first answer for a shape may take TensorFlow a while.
   */
  public CompletableFuture<java.util.Optional<String>> shapeRefusal(
      SignatureSpec signature, Map<String, long[]> shapes) {
    return runner.shapeRefusal(signature, shapes);
  }

  /** Takes a hold on the version if it is available; the holder must call {@link #release}. */
  public boolean tryAcquire() {
    inFlight.incrementAndGet();
    if (state != VersionState.AVAILABLE) {
      release();
      return false;
    }
    return true;
  }

  public void release() {
    if (inFlight.decrementAndGet() == 0 && state == VersionState.QUIESCING) {
      finishUnload();
    }
  }

  /**
   * Takes requests from now on.
   *
   * @param loadedSettings the settings as they apply to the loaded model (see {@link
   *     ModelSettings#forVersion})
   */
  void becomeAvailable(
      LoadedModel loaded, VersionRunner versionRunner, ModelSettings loadedSettings) {
    this.settings = loadedSettings;
    this.model = loaded;
    this.runner = versionRunner;
    this.state = VersionState.AVAILABLE;
  }

  void fail(String reason) {
    this.error = reason;
    this.state = VersionState.FAILED;
  }

  /** Stops taking requests; closes once the ones in flight are done, then runs the callback. */
  void beginUnload(Runnable whenUnloaded) {
    synchronized (this) {
      if (state != VersionState.AVAILABLE) {
        return;
      }
      onUnloaded = whenUnloaded;
      state = VersionState.QUIESCING;
    }
    if (inFlight.get() == 0) {
      finishUnload();
    }
  }

  private synchronized void finishUnload() {
    if (state != VersionState.QUIESCING) {
      return;
    }
    runner.close();
    model.close();
    state = VersionState.UNLOADED;
    onUnloaded.run();
  }

  long sizeBytes() {
    LoadedModel loaded = model;
    return loaded == null ? 0 : loaded.sizeBytes();
  }
}
