package io.tuneserve.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * Builds the configuration from, in increasing precedence: the defaults built into the jar
 * (conf/tuneserve.yaml), the YAML file given, {@code TUNESERVE_*} environment variables, and
 * explicit overrides (command-line flags).
 */
public final class ConfigLoader {
  static final String DEFAULTS_RESOURCE = "conf/tuneserve.yaml";
  static final String ENV_PREFIX = "TUNESERVE_";
  private static final Pattern KEY_SEPARATOR = Pattern.compile("\\.");

  private final ObjectMapper mapper =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());

  /**
   * Reads and checks the configuration.
   *
   * @param file a YAML file to read over the defaults, or null
   * @param environment the environment variables to apply
   * @param overrides dotted keys (e.g. {@code http.port}) with their values, applied last
   */
  public ServerConfig load(
      Path file, Map<String, String> environment, Map<String, Object> overrides)
      throws ConfigException {
    JsonObject merged = readStores(file);
    environment.forEach(
        (name, value) -> {
          if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length()) {
            String key =
                name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace("__", ".");
            put(merged, key, parseScalar(value));
          }
        });
    overrides.forEach((key, value) -> put(merged, key, value));
    try {
      return mapper.readValue(merged.encode(), ServerConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException(
          "unknown configuration key '"
              + e.getPropertyName()
              + "' in "
              + e.getPathReference().replace("io.tuneserve.config.", ""),
          e);
    } catch (ValueInstantiationException e) {
      throw new ConfigException(
          e.getCause() != null ? e.getCause().getMessage() : e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ConfigException("invalid configuration: " + e.getMessage(), e);
    }
  }

  private JsonObject readStores(Path file) throws ConfigException {
    JsonObject merged = defaults();
    if (file == null) {
      return merged;
    }
    if (!Files.isRegularFile(file)) {
      throw new ConfigException("configuration file " + file + " does not exist", null);
    }
    ConfigRetrieverOptions options =
        new ConfigRetrieverOptions()
            .setScanPeriod(0)
            .setIncludeDefaultStores(false)
            .addStore(yamlStore(file.toAbsolutePath().toString()));
    Vertx vertx =
        Vertx.vertx(
            new VertxOptions()
                .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false)));
    try {
      return merged.mergeIn(
          ConfigRetriever.create(vertx, options)
              .getConfig()
              .toCompletionStage()
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS),
          true);
    } catch (ExecutionException e) {
      throw new ConfigException("cannot read configuration: " + e.getCause().getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConfigException("interrupted while reading configuration", e);
    } catch (TimeoutException e) {
      throw new ConfigException("timed out reading configuration", e);
    } finally {
      vertx.close();
    }
  }

  /**
   * The defaults built into the jar, read from the class path only: a conf/ directory in the
   * working directory must not change them.
   */
  private JsonObject defaults() throws ConfigException {
    try (InputStream in = ConfigLoader.class.getResourceAsStream("/" + DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new ConfigException(DEFAULTS_RESOURCE + " is missing from the class path", null);
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> values = yaml.readValue(in, Map.class);
      return new JsonObject(values);
    } catch (IOException e) {
      throw new ConfigException("cannot read the built-in defaults: " + e.getMessage(), e);
    }
  }

  private static ConfigStoreOptions yamlStore(String path) {
    return new ConfigStoreOptions()
        .setType("file")
        .setFormat("yaml")
        .setConfig(new JsonObject().put("path", path));
  }

  private Object parseScalar(String value) {
    try {
      Object parsed = yaml.readValue(value, Object.class);
      return parsed == null ? value : parsed;
    } catch (IOException e) {
      return value;
    }
  }

  private static void put(JsonObject root, String dottedKey, Object value) {
    String[] parts = KEY_SEPARATOR.split(dottedKey);
    JsonObject node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonObject child = node.getJsonObject(parts[i]);
      if (child == null) {
        child = new JsonObject();
        node.put(parts[i], child);
      }
      node = child;
    }
    node.put(parts[parts.length - 1], value);
  }
}
