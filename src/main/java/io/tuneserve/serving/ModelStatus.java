package io.tuneserve.serving;

import java.util.List;

/**
 * A snapshot of one model for status APIs.
 *
 * @param unloaded true when the model was unloaded through the management API
 * @param settingsError why model.yaml could not be read, or null
 */
public record ModelStatus(
    String name, List<VersionStatus> versions, boolean unloaded, String settingsError) {

  /** Why a model with no versions serves nothing: its settings error, unloaded, or none on disk. */
  public String whyNoVersion() {
    return settingsError != null ? settingsError : unloaded ? "unloaded" : "no version on disk";
  }

  /** The versions that serve now, ascending. */
  public java.util.List<Long> availableVersions() {
    return versions.stream()
        .filter(v -> v.state() == VersionState.AVAILABLE)
        .map(VersionStatus::version)
        .toList();
  }

  public boolean hasAvailableVersion() {
    return versions.stream().anyMatch(v -> v.state() == VersionState.AVAILABLE);
  }
}
