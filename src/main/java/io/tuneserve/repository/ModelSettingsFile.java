package io.tuneserve.repository;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Reads and writes {@code model.yaml}; reading rejects unknown keys so typos do not pass. */
public final class ModelSettingsFile {
  static final String FILE_NAME = "model.yaml";

  private final ObjectMapper yaml =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  private final ObjectMapper writer =
      new ObjectMapper(new YAMLFactory()).setSerializationInclusion(JsonInclude.Include.NON_EMPTY);

  /** Writes settings as the model.yaml of {@code modelDirectory}. */
  void write(Path modelDirectory, ModelSettings settings) throws IOException {
    Files.createDirectories(modelDirectory);
    Path temporary = modelDirectory.resolve("." + FILE_NAME + ".tmp");
    writer.writeValue(temporary.toFile(), settings);
    Files.move(
        temporary,
        modelDirectory.resolve(FILE_NAME),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  /** The settings in {@code modelDirectory}, or defaults when it has no model.yaml. */
  public ModelSettings read(Path modelDirectory) throws IOException {
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
