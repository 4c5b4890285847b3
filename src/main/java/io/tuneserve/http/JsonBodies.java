package io.tuneserve.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import io.tuneserve.model.ServingException;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.Set;

/**
 * Parses request bodies into JSON trees, with errors that say what is wrong. Arrays at the paths a
 * caller names (e.g. {@code /inputs/{@literal *}/data}) are read straight into a {@link JsonArray}
 * and stand in the tree as a {@link POJONode} holding it.
 */
final class JsonBodies {
  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build();
  private static final ObjectMapper MAPPER = new ObjectMapper(FACTORY);

  private JsonBodies() {}

  /** The body as a JSON object. */
  static JsonNode parseObject(Buffer body) {
    if (body == null || body.length() == 0) {
      throw ServingException.invalid("JSON Parse error: The document is empty");
    }
    return parseObject(body.getBytes(), 0, body.length(), Set.of());
  }

  static JsonNode parseObject(byte[] bytes, int offset, int length) {
    return parseObject(bytes, offset, length, Set.of());
  }

  /**
   * The body as a JSON object, the arrays at {@code streamed} paths read as {@link JsonArray}s. A
   * path is a list of field names, {@code *} standing for any element of an array or any field.
   */
  static JsonNode parseObject(byte[] bytes, int offset, int length, Set<String> streamed) {
    if (length == 0) {
      throw ServingException.invalid("JSON Parse error: The document is empty");
    }
    try (JsonParser parser = MAPPER.createParser(bytes, offset, length)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw ServingException.invalid("JSON Parse error: The document is empty");
      }
      if (first != JsonToken.START_OBJECT) {
        throw ServingException.invalid("JSON Parse error: the request must be a JSON object");
      }
      JsonNode root = read(parser, new StreamedPaths(streamed), 0);
      if (parser.nextToken() != null) {
        throw ServingException.invalid("JSON Parse error: unexpected content after the object");
      }
      return root;
    } catch (JsonProcessingException e) {
      throw ServingException.invalid("JSON Parse error: Invalid value: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw ServingException.invalid("JSON Parse error: " + e.getMessage());
    }
  }

  /**
   * The streamed patterns split into segments once per body, and the path of the value being read
   * as a stack of segments, so matching costs no string building per JSON value.
   */
  private static final class StreamedPaths {
    private final String[][] patterns;
    private String[] path = new String[8];

    StreamedPaths(Set<String> streamed) {
      patterns = new String[streamed.size()][];
      int i = 0;
      for (String pattern : streamed) {
        patterns[i++] = pattern.substring(1).split("/", -1);
      }
    }

    void set(int depth, String segment) {
      if (depth >= path.length) {
        path = java.util.Arrays.copyOf(path, depth * 2);
      }
      path[depth] = segment;
    }

    /** Whether the path of this depth is a pattern (or a prefix of one, when {@code prefix}). */
    boolean matches(int depth, boolean prefix) {
      for (String[] want : patterns) {
        if (prefix ? depth < want.length : depth == want.length) {
          boolean same = true;
          for (int i = 0; i < depth && same; i++) {
            same = want[i].equals("*") || want[i].equals(path[i]);
          }
          if (same) {
            return true;
          }
        }
      }
      return false;
    }

    String last(int depth) {
      return depth == 0 ? "" : path[depth - 1];
    }
  }

  private static JsonNode read(JsonParser parser, StreamedPaths paths, int depth)
      throws IOException {
    JsonToken token = parser.currentToken();
    if (token == JsonToken.START_ARRAY && paths.matches(depth, false)) {
      return new POJONode(JsonArray.read(parser, paths.last(depth)));
    }
    if (!paths.matches(depth, true)) {
      return parser.readValueAsTree();
    }
    if (token == JsonToken.START_OBJECT) {
      ObjectNode object = JsonNodeFactory.instance.objectNode();
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        parser.nextToken();
        paths.set(depth, name);
        object.set(name, read(parser, paths, depth + 1));
      }
      return object;
    }
    if (token == JsonToken.START_ARRAY) {
      ArrayNode array = JsonNodeFactory.instance.arrayNode();
      while (parser.nextToken() != JsonToken.END_ARRAY) {
        paths.set(depth, "*");
        array.add(read(parser, paths, depth + 1));
      }
      return array;
    }
    return parser.readValueAsTree();
  }

  /** The array a streamed path was read into, or null when the value there is something else. */
  static JsonArray streamedArray(JsonNode node) {
    return node instanceof POJONode pojo && pojo.getPojo() instanceof JsonArray array
        ? array
        : null;
  }

  /** The value as an ordinary JSON tree, a streamed array rebuilt. */
  static JsonNode tree(JsonNode node) {
    JsonArray array = streamedArray(node);
    return array == null ? node : array.toTree();
  }
}
