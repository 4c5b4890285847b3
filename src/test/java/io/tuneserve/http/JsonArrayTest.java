package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.tuneserve.model.DType;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JsonArrayTest {
  private static JsonNode parse(String json) {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    return JsonBodies.parseObject(bytes, 0, bytes.length, Set.of("/v", "/o/*"));
  }

  private static JsonArray array(String value) {
    return JsonBodies.streamedArray(parse("{\"v\": " + value + "}").get("v"));
  }

  @Test
  void readsNestedNumbersIntoOneBlock() {
    JsonArray array = array("[[[1], [2]], [[3], [4.5]]]");
    assertThat(array.isNumeric()).isTrue();
    assertThat(array.shape()).containsExactly(2, 2, 1);
    TensorData tensor = array.toTensor("v", DType.FP32);
    assertThat(tensor.shape()).containsExactly(2, 2, 1);
    assertThat(tensor.doubleAt(3)).isEqualTo(4.5);
    assertThat(array.toTensor("v", DType.FP64, new long[] {4}).doubleAt(2)).isEqualTo(3.0);
  }

  @Test
  void anEmptyArrayIsAnEmptyTensorOfAnyTypeAndNumbersAreNoStrings() {
    TensorData strings = array("[]").toTensor("v", DType.BYTES, new long[] {0});
    assertThat(strings.dtype()).isEqualTo(DType.BYTES);
    assertThat(strings.strings()).isEmpty();
    assertThat(array("[]").toTensor("v", DType.FP32, new long[] {1, 0}).elementCount()).isZero();
    assertThatThrownBy(() -> array("[1]").toTensor("v", DType.BYTES))
        .isInstanceOf(ServingException.class)
        .hasMessageContaining("not of expected type");
  }

  @Test
  void keepsLargeIntegersExact() {
    JsonArray array = array("[9007199254740993, -1]");
    TensorData tensor = array.toTensor("v", DType.INT64);
    assertThat(tensor.littleEndian().getLong(0)).isEqualTo(9007199254740993L);
    assertThat(array.toTree().toString()).isEqualTo("[9007199254740993,-1]");
  }

  @Test
  void rejectsFractionsAndOutOfRangeValuesForIntegerTypes() {
    assertThatThrownBy(() -> array("[1, 2.5]").toTensor("v", DType.INT32))
        .isInstanceOf(ServingException.class)
        .hasMessageContaining("JSON Value: 2.5 Type: Number is not of expected type: int32");
    assertThatThrownBy(() -> array("[256]").toTensor("v", DType.UINT8))
        .hasMessageContaining("256 is out of range for uint8");
    assertThatThrownBy(() -> array("[1]").toTensor("v", DType.BOOL))
        .hasMessageContaining("not of expected type: bool");
  }

  @Test
  void rejectsRaggedNesting() {
    assertThatThrownBy(() -> array("[[1, 2], [3]]")).hasMessageContaining("rectangular");
    assertThatThrownBy(() -> array("[[1, 2], 3]")).hasMessageContaining("rectangular");
    assertThatThrownBy(() -> array("[1, [2]]")).hasMessageContaining("rectangular");
  }

  @Test
  void keepsOtherLeavesAsTreesInPlace() {
    JsonArray array = array("[{\"b64\": \"AAE=\"}, \"text\", 3]");
    assertThat(array.isNumeric()).isFalse();
    assertThat(array.toTree().toString()).isEqualTo("[{\"b64\":\"AAE=\"},\"text\",3]");
  }

  @Test
  void streamsOnlyTheNamedPaths() {
    JsonNode root = parse("{\"o\": {\"a\": [1, 2], \"b\": 3}, \"w\": [1]}");
    assertThat(JsonBodies.streamedArray(root.at("/o/a"))).isNotNull();
    assertThat(root.at("/o/b").asInt()).isEqualTo(3);
    assertThat(JsonBodies.streamedArray(root.get("w"))).isNull();
    assertThat(array("[]").shape()).containsExactly(0);
  }

  @Test
  void reportsBrokenJson() {
    assertThatThrownBy(() -> parse("{\"v\": [1, 2"))
        .isInstanceOf(ServingException.class)
        .hasMessageStartingWith("JSON Parse error");
    assertThatThrownBy(() -> parse("{\"v\": 1} {")).hasMessageContaining("after the object");
    assertThatThrownBy(() -> parse("{\"v\": 1, \"v\": 2}")).hasMessageContaining("Duplicate field");
  }
}
