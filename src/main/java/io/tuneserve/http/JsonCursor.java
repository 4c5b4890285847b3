package io.tuneserve.http;

import ch.randelshofer.fastdoubleparser.JsonDoubleParser;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.tuneserve.model.ServingException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * A position in a JSON document held as UTF-8 bytes, for the parts of a request body that are read
 * byte by byte (the structure around tensor arrays, and their numbers); any other value is handed
 * to Jackson, which reads that one value from the current position.
 */
final class JsonCursor {
  /** Jackson's default limit, kept for the parts read here. */
  static final int MAX_NESTING_DEPTH = 1000;

  private static final double[] EXACT_POWERS_OF_TEN = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22
  };
  private static final long EXACT_DOUBLE_LIMIT = 1L << 53;

  private final ObjectMapper mapper;
  private final byte[] bytes;
  private final int start;
  private final int end;
  private int pos;

  /** The number {@link #number} read last. */
  double numberValue;

  /** Whether it was written with a fraction or an exponent. */
  boolean numberFractional;

  /** Its exact value when it is an integer that a double cannot hold exactly, else 0. */
  long numberExactLong;

  /** Its value when it is an integer beyond the range of a long, else null. */
  BigInteger numberBig;

  JsonCursor(ObjectMapper mapper, byte[] bytes, int offset, int length) {
    this.mapper = mapper;
    this.bytes = bytes;
    this.start = offset;
    this.end = offset + length;
    this.pos = offset;
  }

  /** Skips whitespace and returns the next byte without consuming it, or -1 at the end. */
  int peek() {
    while (pos < end) {
      byte b = bytes[pos];
      if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
        return b;
      }
      pos++;
    }
    return -1;
  }

  /** Consumes the next byte, which {@link #peek} returned. */
  void skip() {
    pos++;
  }

  /** Consumes {@code expected} after optional whitespace, or fails naming what was found. */
  void expect(char expected) {
    if (peek() != expected) {
      throw syntax("expected '" + expected + "'");
    }
    pos++;
  }

  boolean atEnd() {
    return peek() < 0;
  }

  static boolean startsNumber(int b) {
    return b == '-' || (b >= '0' && b <= '9');
  }

  /** A field name: the string at this position. */
  String name() {
    if (peek() != '"') {
      throw syntax("expected a field name in double quotes");
    }
    JsonNode plain = plainString();
    // Escapes, control characters or non-ASCII text: Jackson decodes (or refuses) it.
    return (plain != null ? plain : jackson()).textValue();
  }

  /**
   * Reads the number at this position into {@link #numberValue} and the fields beside it, with
   * JSON's grammar: an optional minus, no leading zeros, digits after a point and in an exponent.
   */
  void number() {
    int from = pos;
    int i = pos;
    boolean negative = i < end && bytes[i] == '-';
    if (negative) {
      i++;
    }
    int digitsFrom = i;
    long mantissa = 0;
    int significant = 0;
    while (i < end && isDigit(bytes[i])) {
      if (significant < 19) {
        mantissa = mantissa * 10 + (bytes[i] - '0');
        if (mantissa != 0) {
          significant++;
        }
      } else {
        significant++;
      }
      i++;
    }
    int integerDigits = i - digitsFrom;
    if (integerDigits == 0 || (integerDigits > 1 && bytes[digitsFrom] == '0')) {
      pos = from;
      throw syntax(integerDigits == 0 ? "invalid number" : "leading zeros are not allowed");
    }
    int fractionDigits = 0;
    boolean point = i < end && bytes[i] == '.';
    if (point) {
      i++;
      int fractionFrom = i;
      while (i < end && isDigit(bytes[i])) {
        if (significant < 19) {
          mantissa = mantissa * 10 + (bytes[i] - '0');
          if (mantissa != 0) {
            significant++;
          }
          fractionDigits++;
        } else {
          significant++;
        }
        i++;
      }
      if (i == fractionFrom) {
        pos = from;
        throw syntax("a decimal point must be followed by digits");
      }
    }
    boolean exponent = i < end && (bytes[i] == 'e' || bytes[i] == 'E');
    if (exponent) {
      i++;
      if (i < end && (bytes[i] == '+' || bytes[i] == '-')) {
        i++;
      }
      int exponentFrom = i;
      while (i < end && isDigit(bytes[i])) {
        i++;
      }
      if (i == exponentFrom) {
        pos = from;
        throw syntax("an exponent must have digits");
      }
    }
    pos = i;
    numberExactLong = 0;
    numberBig = null;
    numberFractional = point || exponent;
    if (!numberFractional) {
      integer(from, i, negative, mantissa, significant);
      return;
    }
    if (!exponent && significant <= 15 && fractionDigits <= 22) {
      // Both operands are exact doubles, so the one division rounds correctly.
      double value = mantissa / EXACT_POWERS_OF_TEN[fractionDigits];
      numberValue = negative ? -value : value;
      return;
    }
    try {
      numberValue = JsonDoubleParser.parseDouble(bytes, from, i - from);
    } catch (NumberFormatException e) {
      pos = from;
      throw syntax("invalid number");
    }
  }

  private void integer(int from, int to, boolean negative, long mantissa, int significant) {
    if (significant <= 18) {
      long value = negative ? -mantissa : mantissa;
      numberValue = value;
      if (Math.abs(value) >= EXACT_DOUBLE_LIMIT) {
        numberExactLong = value;
      }
      return;
    }
    BigInteger value =
        new BigInteger(new String(bytes, from, to - from, StandardCharsets.US_ASCII));
    if (value.bitLength() < 64) {
      numberExactLong = value.longValue();
      numberValue = numberExactLong;
    } else {
      numberBig = value;
      numberValue = value.doubleValue();
    }
  }

  private static boolean isDigit(byte b) {
    return b >= '0' && b <= '9';
  }

  /**
   * The value at this position (any JSON value): plain strings, literals, numbers and flat arrays
   * of numbers read here, anything else by Jackson.
   */
  JsonNode value() {
    int next = peek();
    if (startsNumber(next)) {
      // A number alone is not delimited for Jackson's root-level reading; its span is ours.
      number();
      return numberNode();
    }
    JsonNode simple =
        switch (next) {
          case '"' -> plainString();
          case 't' -> literal("true", BooleanNode.TRUE);
          case 'f' -> literal("false", BooleanNode.FALSE);
          case 'n' -> literal("null", NullNode.instance);
          case '[' -> numberList();
          default -> null;
        };
    return simple != null ? simple : jackson();
  }

  /** A string with no escapes and only ASCII text, or null (the position unchanged). */
  private JsonNode plainString() {
    for (int i = pos + 1; i < end; i++) {
      byte b = bytes[i];
      if (b == '"') {
        String text = new String(bytes, pos + 1, i - pos - 1, StandardCharsets.US_ASCII);
        pos = i + 1;
        return TextNode.valueOf(text);
      }
      if (b == '\\' || b < 0x20) {
        return null;
      }
    }
    return null;
  }

  private JsonNode literal(String word, JsonNode node) {
    int after = pos + word.length();
    if (after > end || (after < end && Character.isLetterOrDigit(bytes[after]))) {
      return null;
    }
    for (int i = 0; i < word.length(); i++) {
      if (bytes[pos + i] != word.charAt(i)) {
        return null;
      }
    }
    pos = after;
    return node;
  }

  /** An array holding only numbers, such as a shape, or null (the position unchanged). */
  private JsonNode numberList() {
    int from = pos;
    ArrayNode list = JsonNodeFactory.instance.arrayNode();
    pos++;
    if (peek() == ']') {
      pos++;
      return list;
    }
    while (startsNumber(peek())) {
      number();
      list.add(numberNode());
      int next = peek();
      pos++;
      if (next == ']') {
        return list;
      }
      if (next != ',') {
        break;
      }
    }
    pos = from;
    return null;
  }

  /** The number {@link #number} read last, as the node Jackson would make of it. */
  private JsonNode numberNode() {
    if (numberBig != null) {
      return BigIntegerNode.valueOf(numberBig);
    }
    if (numberFractional) {
      return DoubleNode.valueOf(numberValue);
    }
    long value = numberExactLong != 0 ? numberExactLong : (long) numberValue;
    return value == (int) value ? IntNode.valueOf((int) value) : LongNode.valueOf(value);
  }

  /** The value at this position (any JSON value), read by Jackson. */
  private JsonNode jackson() {
    try (JsonParser parser = mapper.createParser(bytes, pos, end - pos)) {
      if (parser.nextToken() == null) {
        throw syntax("unexpected end of input");
      }
      JsonNode value = parser.readValueAsTree();
      pos += (int) parser.currentLocation().getByteOffset();
      return value;
    } catch (IOException e) {
      throw parseError(e);
    }
  }

  /** A 400 for what Jackson refused, in the words of its message. */
  static ServingException parseError(IOException e) {
    return e instanceof JsonProcessingException refused
        ? ServingException.invalid(
            "JSON Parse error: Invalid value: " + refused.getOriginalMessage())
        : ServingException.invalid("JSON Parse error: " + e.getMessage());
  }

  ServingException syntax(String problem) {
    String found =
        pos >= end
            ? "the end of the document"
            : "'" + new String(bytes, pos, Math.min(20, end - pos), StandardCharsets.UTF_8) + "'";
    return ServingException.invalid(
        "JSON Parse error: Invalid value: "
            + problem
            + " at byte "
            + (pos - start)
            + ", found "
            + found);
  }
}
