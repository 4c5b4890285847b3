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

  public boolean hasAvailableVersion() {
    return versions.stream().anyMatch(v -> v.state() == VersionState.AVAILABLE);
  }
}
