package io.tuneserve.repository;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads {@code model.yaml}, rejecting unknown keys so typos do not pass silently. */
final class ModelSettingsReader {
  static final String FILE_NAME = "model.yaml";

  private final ObjectMapper yaml =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  /** The settings in {@code modelDirectory}, or defaults when it has no model.yaml. */
  ModelSettings read(Path modelDirectory) throws IOException {
    Path file = modelDirectory.resolve(FILE_NAME);
    if (!Files.exists(file)) {
      return ModelSettings.DEFAULT;
    }
    try {
      ModelSettings settings = yaml.readValue(file.toFile(), ModelSettings.class);
      if (settings == null) {
        return ModelSettings.DEFAULT;
      }
      settings.policy();
      return settings;
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IOException(file + ": " + cause.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    } catch (JsonProcessingException e) {
      throw new IOException(file + ": " + e.getOriginalMessage(), e);
    }
  }
}
