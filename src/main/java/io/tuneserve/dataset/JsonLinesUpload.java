package io.tuneserve.dataset;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.model.ServingException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * JSON lines: one example per line, {@code {"label": "sandal", "b64": "<PNG or JPEG, base64>"}} (or
 * {@code "image": {"b64": ...}}, as in TF Serving's requests). Read line by line from the file it
 * was streamed to.
 */
public final class JsonLinesUpload {
  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonLinesUpload() {}

  public static void read(Path file, ExampleSink sink) throws IOException {
    try (BufferedReader lines = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int number = 0;
      while ((line = lines.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        String source = "on line " + number;
        JsonNode example;
        try {
          example = JSON.readTree(line);
        } catch (JsonProcessingException e) {
          throw ServingException.invalid(
              "example " + source + " is not JSON: " + e.getOriginalMessage());
        }
        sink.add(label(example, source), source, image(example, source));
      }
    }
  }

  private static String label(JsonNode example, String source) {
    JsonNode label = example.path("label");
    if (!label.isTextual() && !label.isIntegralNumber()) {
      throw ServingException.invalid(
          "example " + source + " needs a \"label\" (a string or an integer)");
    }
    return label.asText();
  }

  private static byte[] image(JsonNode example, String source) {
    JsonNode b64 = example.has("image") ? example.path("image").path("b64") : example.path("b64");
    if (!b64.isTextual()) {
      throw ServingException.invalid(
          "example " + source + " needs a \"b64\" string with the encoded image");
    }
    try {
      return Base64.getMimeDecoder().decode(b64.textValue());
    } catch (IllegalArgumentException e) {
      throw ServingException.invalid(
          "example " + source + ": b64 is not base64: " + e.getMessage());
    }
  }
}
