package io.tuneserve.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.model.ServingException;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

/** Parses request bodies into JSON trees, with errors that say what is wrong. */
final class JsonBodies {
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private JsonBodies() {}

  /** The body as a JSON object. */
  static JsonNode parseObject(Buffer body) {
    if (body == null || body.length() == 0) {
      throw ServingException.invalid("JSON Parse error: The document is empty");
    }
    return parseObject(body.getBytes(), 0, body.length());
  }

  static JsonNode parseObject(byte[] bytes, int offset, int length) {
    JsonNode node;
    try {
      node = MAPPER.readTree(bytes, offset, length);
    } catch (JsonProcessingException e) {
      throw ServingException.invalid("JSON Parse error: Invalid value: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw ServingException.invalid("JSON Parse error: " + e.getMessage());
    }
    if (node == null || node.isMissingNode()) {
      throw ServingException.invalid("JSON Parse error: The document is empty");
    }
    if (!node.isObject()) {
      throw ServingException.invalid("JSON Parse error: the request must be a JSON object");
    }
    return node;
  }
}
