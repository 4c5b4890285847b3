package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/** Compares JSON documents as TF Serving's tests do: numbers by value (42 equals 42.0). */
final class JsonAssertions {
  private JsonAssertions() {}

  static void assertNumericallyEqual(JsonNode actual, JsonNode expected) {
    compare(actual, expected, "$", actual);
  }

  private static void compare(JsonNode actual, JsonNode expected, String at, JsonNode whole) {
    if (expected.isNumber()) {
      assertThat(actual.isNumber()).as(at + " in " + whole).isTrue();
      assertThat(actual.asDouble())
          .as(at + " in " + whole)
          .isCloseTo(expected.asDouble(), within());
      return;
    }
    assertThat(actual.getNodeType()).as(at + " in " + whole).isEqualTo(expected.getNodeType());
    if (expected.isArray()) {
      assertThat(actual.size()).as(at + " in " + whole).isEqualTo(expected.size());
      for (int i = 0; i < expected.size(); i++) {
        compare(actual.get(i), expected.get(i), at + "[" + i + "]", whole);
      }
    } else if (expected.isObject()) {
      assertThat(iterable(actual.fieldNames()))
          .as(at + " in " + whole)
          .containsExactlyInAnyOrderElementsOf(iterable(expected.fieldNames()));
      for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        compare(actual.get(field.getKey()), field.getValue(), at + "." + field.getKey(), whole);
      }
    } else {
      assertThat(actual).as(at + " in " + whole).isEqualTo(expected);
    }
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(1e-6);
  }

  private static <T> Iterable<T> iterable(Iterator<T> iterator) {
    return () -> iterator;
  }
}
