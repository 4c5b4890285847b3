package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.model.DType;
import io.tuneserve.model.ServingException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonCursorTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static JsonCursor cursor(String json) {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    return new JsonCursor(MAPPER, bytes, 0, bytes.length);
  }

  private static double number(String json) {
    JsonCursor in = cursor(json);
    in.number();
    assertThat(in.atEnd()).as("all of " + json + " read").isTrue();
    return in.numberValue;
  }

  @Test
  void numbersAreTheCorrectlyRoundedDoublesOfTheirText() {
    Random random = new Random(7);
    for (int i = 0; i < 20_000; i++) {
      String text =
          switch (i % 5) {
            case 0 -> Float.toString(random.nextInt(256) / 255f);
            case 1 -> Double.toString(random.nextGaussian() * 1000);
            case 2 -> String.format(Locale.ROOT, "%.17g", random.nextDouble() * 1e-5);
            case 3 -> String.format(Locale.ROOT, "%.3e", random.nextGaussian() * 1e30);
            default -> Long.toString(random.nextLong() >> random.nextInt(63));
          };
      assertThat(number(text)).as(text).isEqualTo(Double.parseDouble(text));
    }
    for (String text :
        new String[] {
          "0",
          "-0",
          "0.0",
          "-0.0",
          "1e308",
          "1E-320",
          "2.2250738585072014E-308",
          "123456789012345678",
          "0.30000000000000004",
          "9007199254740993.5",
          "1e400"
        }) {
      assertThat(number(text)).as(text).isEqualTo(Double.parseDouble(text));
    }
    assertThat(Double.doubleToRawLongBits(number("-0.0")))
        .isEqualTo(Double.doubleToRawLongBits(-0.0));
  }

  @Test
  void integersKeepTheirExactValue() {
    JsonCursor in = cursor("9007199254740993");
    in.number();
    assertThat(in.numberFractional).isFalse();
    assertThat(in.numberExactLong).isEqualTo(9007199254740993L);
    in = cursor("-9223372036854775808");
    in.number();
    assertThat(in.numberExactLong).isEqualTo(Long.MIN_VALUE);
    in = cursor("18446744073709551616");
    in.number();
    assertThat(in.numberBig).isEqualTo(BigInteger.TWO.pow(64));
    in = cursor("1e2");
    in.number();
    assertThat(in.numberFractional).as("an exponent makes a fractional number").isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"01", "-", "1.", "1.e5", "1e", "1e+", "-01.5"})
  void numbersOutsideJsonGrammarAreRefused(String text) {
    assertThatThrownBy(() -> cursor(text).number())
        .isInstanceOf(ServingException.class)
        .hasMessageStartingWith("JSON Parse error: Invalid value:")
        .hasMessageContaining("at byte 0");
  }

  private static JsonNode parse(String json) {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    return JsonBodies.parseObject(bytes, 0, bytes.length, Set.of("/v", "/o/*/data"));
  }

  @Test
  void theStructureAroundStreamedArraysReadsAsJacksonWouldReadIt() throws Exception {
    String json =
        " {\n\t\"a\\u0062c\": {\"x\": [1, \"two\", null]}, \"n\": -1.5e3, \"s\": \"\\\"q\\\"\","
            + " \"t\": true, \"o\": [{\"name\": \"in\", \"data\": [[1, 2], [3, 4]]}, {}],"
            + " \"i\": 7, \"l\": 9007199254740993, \"big\": 18446744073709551616,"
            + " \"shape\": [1, 28, -3], \"empty\": [], \"mixed\": [1, [2]], \"u\": \"\u00e9\\n\","
            + " \"z\": null, \"f\": false,"
            + " \"v\": [[0.5], [{\"b64\": \"QUJD\"}]] } ";
    JsonNode streamed = parse(json);
    JsonNode jackson = MAPPER.readTree(json);
    assertThat(streamed.get("abc")).isEqualTo(jackson.get("abc"));
    assertThat(streamed.get("n")).isEqualTo(jackson.get("n"));
    assertThat(streamed.get("s").textValue()).isEqualTo("\"q\"");
    assertThat(streamed.get("t").booleanValue()).isTrue();
    assertThat(streamed.get("o").get(1).isEmpty()).isTrue();
    for (String field : new String[] {"i", "l", "big", "shape", "empty", "mixed", "u", "z", "f"}) {
      assertThat(streamed.get(field)).as(field).isEqualTo(jackson.get(field));
      assertThat(streamed.get(field).getNodeType())
          .as(field)
          .isEqualTo(jackson.get(field).getNodeType());
    }
    assertThat(streamed.get("i").isInt()).isTrue();
    assertThat(streamed.get("l").isLong()).isTrue();
    JsonArray data = JsonBodies.streamedArray(streamed.get("o").get(0).get("data"));
    assertThat(data.shape()).containsExactly(2, 2);
    assertThat(data.toTensor("data", DType.INT32).littleEndian().getInt(12)).isEqualTo(4);
    JsonArray v = JsonBodies.streamedArray(streamed.get("v"));
    assertThat(v.isNumeric()).isFalse();
    assertThat(JsonBodies.tree(streamed.get("v"))).isEqualTo(jackson.get("v"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"v\": [1, 2] \"w\": 1}",
        "{\"v\": [1 2]}",
        "{\"v\": [1, 2]",
        "{\"v\": [1, ]}",
        "{v: [1]}",
        "{\"v\" [1]}",
        "{\"v\": [1]} x",
        "{\"w\": tru, \"v\": [1]}",
        "{\"v\": [1], \"v\": [2]}",
        "[1, 2]",
        "{\"v\": [NaN]}",
        "{\"w\": truex, \"v\": [1]}",
        "{\"w\": [1, 2,], \"v\": [1]}",
        "{\"w\": \"open, \"v\": [1]}"
      })
  void malformedBodiesAreRefusedAsJsonErrors(String json) {
    assertThatThrownBy(() -> parse(json))
        .isInstanceOf(ServingException.class)
        .hasMessageStartingWith("JSON Parse error");
  }

  @Test
  void nestingIsBoundedInsteadOfExhaustingTheStack() {
    String deep = "{\"v\": " + "[".repeat(5000) + "]".repeat(5000) + "}";
    assertThatThrownBy(() -> parse(deep))
        .isInstanceOf(ServingException.class)
        .hasMessageContaining("nested deeper than 1000");
  }
}
