package io.tuneserve.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
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
   * Along those paths the body is read byte by byte (objects, arrays, numbers); everything else is
   * read by Jackson, one value at a time.
   */
  static JsonNode parseObject(byte[] bytes, int offset, int length, Set<String> streamed) {
    if (length == 0) {
      throw ServingException.invalid("JSON Parse error: The document is empty");
    }
    if (streamed.isEmpty()) {
      return parseTree(bytes, offset, length);
    }
    JsonCursor in = new JsonCursor(MAPPER, bytes, offset, length);
    int first = in.peek();
    if (first < 0) {
      throw ServingException.invalid("JSON Parse error: The document is empty");
    }
    if (first != '{') {
      in.value();
      throw ServingException.invalid("JSON Parse error: the request must be a JSON object");
    }
    JsonNode root = read(in, new StreamedPaths(streamed), 0);
    if (!in.atEnd()) {
      throw ServingException.invalid("JSON Parse error: unexpected content after the object");
    }
    return root;
  }

  private static JsonNode parseTree(byte[] bytes, int offset, int length) {
    try (JsonParser parser = MAPPER.createParser(bytes, offset, length)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw ServingException.invalid("JSON Parse error: The document is empty");
      }
      if (first != JsonToken.START_OBJECT) {
        throw ServingException.invalid("JSON Parse error: the request must be a JSON object");
      }
      JsonNode root = parser.readValueAsTree();
      if (parser.nextToken() != null) {
        throw ServingException.invalid("JSON Parse error: unexpected content after the object");
      }
      return root;
    } catch (IOException e) {
      throw JsonCursor.parseError(e);
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

  private static JsonNode read(JsonCursor in, StreamedPaths paths, int depth) {
    int next = in.peek();
    if (next == '[' && paths.matches(depth, false)) {
      return new POJONode(JsonArray.read(in, paths.last(depth)));
    }
    if (!paths.matches(depth, true) || (next != '{' && next != '[')) {
      return in.value();
    }
    in.skip();
    if (next == '{') {
      ObjectNode object = JsonNodeFactory.instance.objectNode();
      if (in.peek() == '}') {
        in.skip();
        return object;
      }
      do {
        String name = in.name();
        in.expect(':');
        paths.set(depth, name);
        if (object.replace(name, read(in, paths, depth + 1)) != null) {
          throw ServingException.invalid(
              "JSON Parse error: Invalid value: Duplicate field '" + name + "'");
        }
      } while (commaOr(in, '}'));
      return object;
    }
    ArrayNode array = JsonNodeFactory.instance.arrayNode();
    if (in.peek() == ']') {
      in.skip();
      return array;
    }
    do {
      paths.set(depth, "*");
      array.add(read(in, paths, depth + 1));
    } while (commaOr(in, ']'));
    return array;
  }

  /** True after a comma (another member follows), false after the closing bracket. */
  private static boolean commaOr(JsonCursor in, char close) {
    int next = in.peek();
    if (next == ',') {
      in.skip();
      return true;
    }
    if (next == close) {
      in.skip();
      return false;
    }
    throw in.syntax("expected ',' or '" + close + "'");
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
