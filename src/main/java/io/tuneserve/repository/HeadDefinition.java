package io.tuneserve.repository;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A head-only version: a linear classifier over another model version's features, stored as {@code
 * head.json} (kilobytes) instead of a SavedModel. Serving it runs the base, then the head.
 *
 * @param kernel {@code dimension x classes} weights, row-major
 * @param mean per-feature mean the features are standardised with
 * @param inverseDeviation per-feature 1 / standard deviation
 */
@SuppressWarnings("ArrayRecordComponent") // written once by the trainer, read-only after
public record HeadDefinition(
    @JsonProperty("base_model") String baseModel,
    @JsonProperty("base_version") long baseVersion,
    @JsonProperty("signature") String signature,
    @JsonProperty("output") String output,
    @JsonProperty("dimension") int dimension,
    @JsonProperty("classes") int classes,
    @JsonProperty("mean") float[] mean,
    @JsonProperty("inverse_deviation") float[] inverseDeviation,
    @JsonProperty("kernel") float[] kernel,
    @JsonProperty("bias") float[] bias) {

  public static final String FILE_NAME = "head.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Checks that the arrays match the dimensions. */
  public HeadDefinition {
    if (mean.length != dimension
        || inverseDeviation.length != dimension
        || kernel.length != dimension * classes
        || bias.length != classes) {
      throw new IllegalArgumentException("head.json arrays do not match its dimensions");
    }
  }

  public static boolean existsIn(Path versionDirectory) {
    return Files.isRegularFile(versionDirectory.resolve(FILE_NAME));
  }

  public static HeadDefinition read(Path versionDirectory) throws IOException {
    return JSON.readValue(versionDirectory.resolve(FILE_NAME).toFile(), HeadDefinition.class);
  }

  public void write(Path versionDirectory) throws IOException {
    Files.createDirectories(versionDirectory);
    JSON.writeValue(versionDirectory.resolve(FILE_NAME).toFile(), this);
  }
}
