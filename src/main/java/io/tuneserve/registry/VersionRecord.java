package io.tuneserve.registry;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * A published version: its files and their hashes, where they are stored, and where it came from.
 *
 * @param sha256 the checkpoint's digest ({@link io.tuneserve.repository.VersionManifest#digest})
 * @param files relative path to sha256 of every file
 * @param store the checkpoint store holding the files ("inline", "replicated", "shared")
 * @param location where in that store
 * @param inline base64 file contents, for the inline store
 * @param lineage the lineage JSON of a fine-tuned version, or null
 * @param headBase "model/version" of the base a head-only version runs on, or null
 * @param pinned kept whatever the retention
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VersionRecord(
    @JsonProperty("model") String model,
    @JsonProperty("version") long version,
    @JsonProperty("sha256") String sha256,
    @JsonProperty("bytes") long bytes,
    @JsonProperty("files") Map<String, String> files,
    @JsonProperty("store") String store,
    @JsonProperty("location") String location,
    @JsonProperty("inline") Map<String, String> inline,
    @JsonProperty("lineage") String lineage,
    @JsonProperty("head_base") String headBase,
    @JsonProperty("pinned") boolean pinned,
    @JsonProperty("created_at") String createdAt,
    @JsonProperty("published_by") String publishedBy) {

  public VersionRecord withPinned(boolean pin) {
    return new VersionRecord(
        model,
        version,
        sha256,
        bytes,
        files,
        store,
        location,
        inline,
        lineage,
        headBase,
        pin,
        createdAt,
        publishedBy);
  }

  /** The registry key of a version. */
  public static String key(String model, long version) {
    return model + "/" + version;
  }

  public String key() {
    return key(model, version);
  }
}
