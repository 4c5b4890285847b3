package io.tuneserve.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.model.TensorData;
import io.tuneserve.testing.NodeClient;
import io.tuneserve.testing.NodeProcess;
import io.tuneserve.testing.TestCluster;
import io.tuneserve.testing.TestData;
import io.tuneserve.testing.TestServer;
import io.tuneserve.tf.TestModels;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every signature input of every model the project knows (the demo model, the tests' own exports,
 * and where present TF Serving's and the Keras models of {@code ../shared/testdata/}, all dropped
 * in without a model.yaml) gets requests of mismatched ranks and sizes. The server runs in a JVM of
 * its own, so a kernel that aborts the process would show as a dead node: every request must get a
 * 200 or a 4xx, and the node must still serve afterwards.
 */
class ShapeFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_ELEMENTS = 100_000;

  private record Input(String name, String datatype, long[] declared) {}

  @Test
  void noRequestShapeCrashesAnyModel() throws Exception {
    Path models = Files.createTempDirectory("shape-fuzz");
    TestServer.copyTree(TestData.fashionConvnet(), models.resolve("fashion-convnet/1"));
    Files.copy(TestData.fashionConvnetSettings(), models.resolve("fashion-convnet/model.yaml"));
    TestServer.copyTree(TestData.halfPlusTwo(), models.resolve("half_plus_two/1"));
    TestModels.exportScale(models.resolve("scale/1"), 3f, 3);
    if (TestData.hasShared("tfserving")) {
      TestServer.copyTree(TestData.tfServingHalfPlusTwo(), models.resolve("tfs_half_plus_two/1"));
      TestServer.copyTree(
          TestData.tfServingHalfPlusTwoTf2(), models.resolve("tfs_half_plus_two_tf2/1"));
    } else {
      System.out.println("shape fuzz: ../shared/testdata/tfserving/ is absent; its models skipped");
    }
    if (TestData.hasShared("thirdparty")) {
      for (String model : List.of("emotion-minixception", "mnist-cnn-2shard")) {
        TestServer.copyTree(TestData.thirdParty(model + "/1"), models.resolve(model + "/1"));
      }
    } else {
      System.out.println(
          "shape fuzz: ../shared/testdata/thirdparty/ is absent; its models skipped");
    }
    List<String> names;
    try (var dirs = Files.list(models)) {
      names = dirs.map(p -> p.getFileName().toString()).sorted().toList();
    }
    try (NodeProcess node = NodeProcess.start(models, TestCluster.of(1).member(0))) {
      node.awaitReady(Duration.ofSeconds(120));
      NodeClient client = node.client();
      List<String> problems = new ArrayList<>();
      int requests = 0;
      int answered = 0;
      int refusedByInference = 0;
      Map<String, Integer> refusedPerModel = new java.util.TreeMap<>();
      for (String model : names) {
        JsonNode signatures =
            client
                .getJson("/v1/models/" + model + "/metadata")
                .at("/metadata/signature_def/signature_def");
        assertThat(signatures.size()).as(model + " signatures").isPositive();
        for (var it = signatures.fields(); it.hasNext(); ) {
          var signature = it.next();
          Map<String, Input> inputs = inputs(signature.getValue().get("inputs"));
          if (inputs.isEmpty() || inputs.values().stream().anyMatch(i -> i.datatype() == null)) {
            continue;
          }
          for (Input varied : inputs.values()) {
            for (long[] shape : shapes(varied.declared())) {
              Map<String, long[]> request = new LinkedHashMap<>();
              inputs.values().forEach(i -> request.put(i.name(), base(i.declared())));
              request.put(varied.name(), shape);
              String body = body(signature.getKey(), inputs, request);
              String what =
                  model + " " + signature.getKey() + " " + varied.name() + Arrays.toString(shape);
              requests++;
              HttpResponse<String> response;
              try {
                response = client.post("/v2/models/" + model + "/infer", body);
              } catch (IOException e) {
                problems.add(what + ": " + e);
                if (!node.isAlive()) {
                  problems.add("the node died:\n" + node.log());
                  break;
                }
                continue;
              }
              int status = response.statusCode();
              if (status == 200) {
                answered++;
              } else if (status >= 400 && status < 500) {
                if (response.body().contains("the graph cannot compute on it")) {
                  refusedByInference++;
                  refusedPerModel.merge(model, 1, Integer::sum);
                }
              } else {
                problems.add(what + ": " + status + " " + response.body());
              }
            }
          }
        }
      }
      System.out.printf(
          "shape fuzz: %d models, %d requests, %d answered, %d refused by shape inference,"
              + " %d problems%n",
          names.size(), requests, answered, refusedByInference, problems.size());
      System.out.println("shape fuzz: refused by shape inference per model: " + refusedPerModel);
      assertThat(problems).isEmpty();
      assertThat(node.isAlive()).isTrue();
      assertThat(refusedByInference)
          .as("shapes refused by TensorFlow's shape inference")
          .isPositive();
      assertThat(client.get("/v2/health/ready").statusCode()).isEqualTo(200);
      assertThat(
              client
                  .post(
                      "/v2/models/fashion-convnet/infer",
                      "{\"inputs\": [" + TestData.uniformImageTensor(0.5f) + "]}")
                  .statusCode())
          .isEqualTo(200);
    }
  }

  private static Map<String, Input> inputs(JsonNode infos) {
    Map<String, Input> inputs = new LinkedHashMap<>();
    for (var it = infos.fields(); it.hasNext(); ) {
      var info = it.next();
      JsonNode shape = info.getValue().get("tensor_shape");
      long[] declared = null;
      if (!shape.path("unknown_rank").asBoolean()) {
        declared = new long[shape.path("dim").size()];
        for (int i = 0; i < declared.length; i++) {
          declared[i] = shape.path("dim").get(i).get("size").asLong();
        }
      }
      inputs.put(
          info.getKey(),
          new Input(info.getKey(), datatype(info.getValue().get("dtype").asText()), declared));
    }
    return inputs;
  }

  private static String datatype(String tfType) {
    return switch (tfType) {
      case "DT_FLOAT" -> "FP32";
      case "DT_DOUBLE" -> "FP64";
      case "DT_INT32" -> "INT32";
      case "DT_INT64" -> "INT64";
      case "DT_STRING" -> "BYTES";
      default -> null;
    };
  }

  /** The declared shape with unknown dimensions as 1 ([1] for an unknown rank). */
  private static long[] base(long[] declared) {
    if (declared == null) {
      return new long[] {1};
    }
    return Arrays.stream(declared).map(d -> d < 0 ? 1 : d).toArray();
  }

  /** Ranks 0 to 5 of small sizes, and the declared shape with each dimension and the rank off. */
  private static Set<long[]> shapes(long[] declared) {
    List<long[]> shapes = new ArrayList<>();
    shapes.addAll(
        List.of(
            new long[] {},
            new long[] {1},
            new long[] {3},
            new long[] {1, 1},
            new long[] {2, 3},
            new long[] {1, 28, 28},
            new long[] {1, 2, 3, 4, 5},
            new long[] {2, 1, 1, 1},
            new long[] {0},
            new long[] {1, 0}));
    long[] base = base(declared);
    shapes.add(base);
    shapes.add(prepend(1, base));
    shapes.add(append(base, 1));
    shapes.add(append(base, 3));
    if (base.length > 0) {
      shapes.add(Arrays.copyOf(base, base.length - 1));
      shapes.add(Arrays.copyOfRange(base, 1, base.length));
    }
    for (int i = 0; i < base.length; i++) {
      for (long size : new long[] {1, 2, base[i] + 1, base[i] * 2, 0}) {
        long[] changed = base.clone();
        changed[i] = size;
        shapes.add(changed);
      }
    }
    Set<String> seen = new LinkedHashSet<>();
    Set<long[]> unique = new LinkedHashSet<>();
    for (long[] shape : shapes) {
      if (TensorData.elementCount(shape) <= MAX_ELEMENTS && seen.add(Arrays.toString(shape))) {
        unique.add(shape);
      }
    }
    return unique;
  }

  private static long[] prepend(long first, long[] rest) {
    long[] shape = new long[rest.length + 1];
    shape[0] = first;
    System.arraycopy(rest, 0, shape, 1, rest.length);
    return shape;
  }

  private static long[] append(long[] rest, long last) {
    long[] shape = Arrays.copyOf(rest, rest.length + 1);
    shape[rest.length] = last;
    return shape;
  }

  private static String body(
      String signature, Map<String, Input> inputs, Map<String, long[]> shapes) throws IOException {
    var root = JSON.createObjectNode();
    root.putObject("parameters").put("signature_name", signature);
    var list = root.putArray("inputs");
    for (Input input : inputs.values()) {
      long[] shape = shapes.get(input.name());
      var tensor = list.addObject();
      tensor.put("name", input.name()).put("datatype", input.datatype());
      var dims = tensor.putArray("shape");
      Arrays.stream(shape).forEach(dims::add);
      var data = tensor.putArray("data");
      for (long i = 0; i < TensorData.elementCount(shape); i++) {
        switch (input.datatype()) {
          case "BYTES" -> data.add("x");
          case "INT32", "INT64" -> data.add(1);
          default -> data.add(0.5);
        }
      }
    }
    return JSON.writeValueAsString(root);
  }
}
