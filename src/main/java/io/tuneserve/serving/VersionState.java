package io.tuneserve.serving;

/**
 * The life of a model version inside the manager. Clients see the coarser TF Serving states through
 * {@link #published()}.
 */
public enum VersionState {
  LOADING,
  AVAILABLE,
  /** No new requests; waiting for in-flight ones to finish before closing. */
  QUIESCING,
  UNLOADED,
  FAILED;

  /** The state name TF Serving's model status API uses. */
  public String published() {
    return switch (this) {
      case LOADING -> "LOADING";
      case AVAILABLE -> "AVAILABLE";
      case QUIESCING -> "UNLOADING";
      case UNLOADED, FAILED -> "END";
    };
  }
}
