package io.tuneserve.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Peer servers, measured with the same load generator in the same run when they are installed. */
final class Peers {
  private static final String PYTHON = "/usr/bin/python3";
  private static final String PEER = "FastAPI + PyTorch";

  private Peers() {}

  static void runAll(Harness harness, Vertx vertx, Report report, double warmup, double step)
      throws Exception {
    Process check =
        new ProcessBuilder(PYTHON, "-c", "import torch, fastapi, uvicorn").redirectErrorStream(true).start();
    if (check.waitFor() != 0) {
      report.notes.add(
          "FastAPI + PyTorch peer not measured: install it with"
              + " `apt-get install -y python3-torch python3-fastapi python3-uvicorn`.");
      return;
    }
    Path weights = harness.out().resolve("peer-weights");
    ExportWeights.export(harness.modelDirectory(), weights);
    int port = harness.port() + 1;
    try (ServerProcess peer =
        ServerProcess.start(
                PEER,
                harness.serverCores(),
                List.of(PYTHON, "load-tests/peers/fastapi_torch.py", "--weights", weights.toString(), "--port", Integer.toString(port)),
                Map.of("OMP_NUM_THREADS", "1"),
                harness.out().resolve("peer.log"))
            .awaitReady("http://127.0.0.1:" + port + "/v1/models/fashion-convnet", Duration.ofSeconds(120))) {
      report.notes.add(checkSameModel(report.limit.input(), harness.port(), port));
      LoadRunner runner = new LoadRunner(vertx, "127.0.0.1", port, "fashion-convnet");
      for (int images : new int[] {1, 32}) {
        for (int concurrency : harness.quick ? new int[] {64} : new int[] {1, 64}) {
          StepResult result =
              runner.closedLoop(PEER, Protocol.TFS_JSON, new Payloads(report.limit.input(), images, 42), concurrency, warmup, step);
          Harness.print(result);
          report.peers.add(result);
        }
      }
    }
  }

  /** Sends the same images to tuneserve and the peer and reports how far their answers differ. */
  private static String checkSameModel(ImageInput input, int tuneservePort, int peerPort) throws Exception {
    Payloads payloads = new Payloads(input, 4, 7);
    ObjectMapper json = new ObjectMapper();
    JsonNode ours = json.readTree(predict(tuneservePort, payloads)).get("predictions");
    JsonNode theirs = json.readTree(predict(peerPort, payloads)).get("predictions");
    double maxDifference = 0;
    for (int i = 0; i < ours.size(); i++) {
      for (int c = 0; c < 10; c++) {
        maxDifference =
            Math.max(
                maxDifference,
                Math.abs(ours.get(i).get("probabilities").get(c).asDouble() - theirs.get(i).get(c).asDouble()));
      }
    }
    return String.format(
        java.util.Locale.ROOT,
        "The peer serves the same weights: on 4 images its probabilities differ from tuneserve's by at most %.2g.",
        maxDifference);
  }

  private static String predict(int port, Payloads payloads) throws Exception {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .build()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models/fashion-convnet:predict"))
                .POST(HttpRequest.BodyPublishers.ofString(payloads.tfsJson.toString()))
                .header("content-type", "application/json")
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
