package io.tuneserve.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code buf curl} (npm {@code @bufbuild/buf}), a client that knows the services only from the
 * server's reflection, calls each service as README shows: the schema it reads must be the one the
 * server answers with.
 */
class BufCurlTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Path buf() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":", -1)) {
      Path candidate = Path.of(dir, "buf");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  /** Runs buf curl against the server; its stdout, failing on a non-zero exit. */
  private static String curl(Path buf, int port, String... arguments) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(buf.toString(), "curl", "--protocol", "grpc", "--http2-prior-knowledge"));
    command.addAll(List.of(arguments).subList(0, arguments.length - 1));
    command.add("http://127.0.0.1:" + port + arguments[arguments.length - 1]);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(out).isZero();
    return out;
  }

  @Test
  void bufCurlCallsEveryServiceThroughReflection() throws Exception {
    Path buf = buf();
    assumeTrue(buf != null, "buf is not on the PATH (npm install -g @bufbuild/buf@1.75.0)");
    try (TestServer server = new TestServer().withDemoModel().start()) {
      int port = server.port();
      assertThat(curl(buf, port, "--list-services", ""))
          .contains("tensorflow.serving.PredictionService")
          .contains("tensorflow.serving.ModelService")
          .contains("inference.GRPCInferenceService")
          .contains("grpc.health.v1.Health");
      JsonNode predicted =
          JSON.readTree(
              curl(
                  buf,
                  port,
                  "-d",
                  "{\"model_spec\": {\"name\": \"fashion-convnet\"}, \"inputs\": {\"images\":"
                      + " {\"dtype\": \"DT_FLOAT\", \"tensor_shape\": {\"dim\": [{\"size\": 1},"
                      + " {\"size\": 28}, {\"size\": 28}, {\"size\": 1}]}, \"float_val\": [0.5]}},"
                      + " \"output_filter\": [\"probabilities\"]}",
                  "/tensorflow.serving.PredictionService/Predict"));
      assertThat(predicted.at("/modelSpec/version").asText()).isEqualTo("1");
      assertThat(predicted.at("/outputs/probabilities/tensorShape/dim/1/size").asText())
          .isEqualTo("10");
      JsonNode status =
          JSON.readTree(
              curl(
                  buf,
                  port,
                  "-d",
                  "{\"model_spec\": {\"name\": \"fashion-convnet\"}}",
                  "/tensorflow.serving.ModelService/GetModelStatus"));
      assertThat(status.at("/modelVersionStatus/0/state").asText()).isEqualTo("AVAILABLE");
      JsonNode inferred =
          JSON.readTree(
              curl(
                  buf,
                  port,
                  "-d",
                  "{\"model_name\": \"fashion-convnet\", \"inputs\": [{\"name\": \"images\","
                      + " \"datatype\": \"FP32\", \"shape\": [1, 28, 28, 1], \"contents\":"
                      + " {\"fp32_contents\": ["
                      + "0.5,".repeat(783)
                      + "0.5]}}]}",
                  "/inference.GRPCInferenceService/ModelInfer"));
      assertThat(inferred.at("/outputs/0/name").asText()).isEqualTo("logits");
      assertThat(inferred.get("rawOutputContents")).hasSize(2);
      JsonNode health =
          JSON.readTree(
              curl(buf, port, "-d", "{\"service\": \"\"}", "/grpc.health.v1.Health/Check"));
      assertThat(health.get("status").asText()).isEqualTo("SERVING");
    }
  }
}
