package io.tuneserve.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.tuneserve.model.ServingException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A JSON object of settings sent to an API (a model's rollout or continual settings): each field
 * read with its default when absent or null, and anything else refused with a 400 that names the
 * setting and what it must be.
 */
public final class JsonSettings {
  private final JsonNode body;
  private final String kind;

  private JsonSettings(JsonNode body, String kind) {
    this.body = body;
    this.kind = kind;
  }

  /**
   * The settings of {@code body}, which must be an object whose fields are among {@code fields};
   * {@code kind} names them in messages ("rollout", "continual").
   */
  public static JsonSettings of(JsonNode body, String kind, List<String> fields) {
    if (body == null || !body.isObject()) {
      throw ServingException.invalid(
          kind + " settings must be a JSON object with any of " + fields);
    }
    for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!fields.contains(name)) {
        throw ServingException.invalid(
            "unknown " + kind + " setting '" + name + "'; the settings are " + fields);
      }
    }
    return new JsonSettings(body, kind);
  }

  private JsonNode field(String name) {
    JsonNode node = body.get(name);
    return node == null || node.isNull() ? null : node;
  }

  private ServingException bad(String name, String mustBe, JsonNode got) {
    return ServingException.invalid(
        kind + " '" + name + "' must be " + mustBe + (got == null ? "" : ", got " + got));
  }

  /** A number from {@code min} to {@code max}. */
  public double number(String name, double fallback, double min, double max) {
    JsonNode node = field(name);
    if (node == null) {
      return fallback;
    }
    if (!node.isNumber() || node.asDouble() < min || node.asDouble() > max) {
      throw bad(name, "a number from " + min + " to " + max, node);
    }
    return node.asDouble();
  }

  /** An integer of at least {@code min} (and at most ten million). */
  public int count(String name, int fallback, int min) {
    JsonNode node = field(name);
    if (node == null) {
      return fallback;
    }
    if (!node.isIntegralNumber() || node.asLong() < min || node.asLong() > 10_000_000) {
      throw bad(name, "an integer of at least " + min, node);
    }
    return node.intValue();
  }

  public boolean flag(String name, boolean fallback) {
    JsonNode node = field(name);
    if (node == null) {
      return fallback;
    }
    if (!node.isBoolean()) {
      throw bad(name, "true or false", node);
    }
    return node.booleanValue();
  }

  /** A non-empty string naming something ({@code what}: "a dataset"), or null. */
  public String name(String name, String what) {
    JsonNode node = field(name);
    if (node == null) {
      return null;
    }
    if (!node.isTextual() || node.textValue().isBlank()) {
      throw bad(name, "the name of " + what, node);
    }
    return node.textValue();
  }

  /** A list of non-empty strings ({@code what}: "label names"), empty when absent. */
  public List<String> names(String name, String what) {
    JsonNode node = field(name);
    List<String> names = new ArrayList<>();
    if (node == null) {
      return names;
    }
    if (!node.isArray()) {
      throw bad(name, "a list of " + what, node);
    }
    for (JsonNode item : node) {
      if (!item.isTextual() || item.textValue().isBlank()) {
        throw bad(name, "a list of " + what, item);
      }
      names.add(item.textValue());
    }
    return names;
  }

  /** One of {@code choices}, or {@code fallback}. */
  public String choice(String name, String fallback, List<String> choices) {
    JsonNode node = field(name);
    if (node == null) {
      return fallback;
    }
    if (!node.isTextual() || !choices.contains(node.textValue())) {
      throw bad(name, "one of " + choices, node);
    }
    return node.textValue();
  }

  /** A JSON object ({@code what} says of what), or null. */
  public JsonNode object(String name, String what) {
    JsonNode node = field(name);
    if (node != null && !node.isObject()) {
      throw bad(name, "an object of " + what, node);
    }
    return node;
  }
}
