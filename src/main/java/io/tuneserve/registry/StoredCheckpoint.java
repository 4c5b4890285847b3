package io.tuneserve.registry;

import java.util.Map;

/**
 * Where a checkpoint store put a version's files.
 *
 * @param inline base64 file contents when the store keeps them in the record, else null
 */
public record StoredCheckpoint(String store, String location, Map<String, String> inline) {}
