package io.tuneserve.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.data.FashionMnist;
import io.tuneserve.data.LabelledImages;
import io.tuneserve.model.FeatureLayers;
import io.tuneserve.model.TensorData;
import io.tuneserve.tf.TensorFlowTrainer;
import io.tuneserve.training.ClassifierLoss;
import io.tuneserve.training.EpochMetrics;
import io.tuneserve.training.Hyperparameters;
import io.tuneserve.training.LabelledExamples;
import io.tuneserve.training.Phase;
import io.tuneserve.training.Strategy;
import io.tuneserve.training.TrainingCancelledException;
import io.tuneserve.training.TrainingProgress;
import io.tuneserve.training.TrainingRequest;
import io.vertx.core.Vertx;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/**
 * What a running fine-tuning job costs inference on the same node, and how fast the job trains
 * compared with the same training run in-process. Server and in-process run use the same cores.
 *
 * <ol>
 *   <li>in-process: {@code fine_tune} of the demo model on 2000 Fashion-MNIST images, epochs per
 *       second (each epoch includes its accuracy evaluation, as in the server);
 *   <li>the server idle: inference p50/p99 (OIP binary, 1 image, concurrency 16);
 *   <li>the same job submitted to the server: its epochs per second with no inference, then the
 *       inference p50/p99 while it trains.
 * </ol>
 */
public final class TrainingImpact {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int EXAMPLES = 2000;
  private static final Hyperparameters HP =
      new Hyperparameters(10_000, 32, 0.05, 0.005, 1, 0, 1e-4, 0.2, 10_000, 7, ClassifierLoss.SOFTMAX);

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("in-process")) {
      System.out.printf(Locale.ROOT, "IN_PROCESS %.4f%n", inProcessEpochsPerSecond(Double.parseDouble(args[1])));
      return;
    }
    String cores = args.length > 0 ? args[0] : "0";
    double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 20;
    Path out = Path.of("load-tests/results");
    Files.createDirectories(out);

    double inProcess = inProcessViaProcess(cores, seconds, out);
    System.out.printf(Locale.ROOT, "in-process fine-tuning: %.3f epochs/s%n", inProcess);

    Path models = Files.createTempDirectory("tuneserve-impact");
    copy(Path.of("models"), models);
    int port = 18180;
    Vertx vertx = Vertx.vertx();
    try (ServerProcess server =
        ServerProcess.start(
                "tuneserve",
                cores,
                List.of(ServerProcess.javaBinary(), "-jar", "target/tuneserve.jar", "serve", "--port", Integer.toString(port), "--models", models.toString()),
                Map.of(),
                out.resolve("impact-server.log"))
            .awaitReady("http://127.0.0.1:" + port + "/v2/models/fashion-convnet/ready", Duration.ofSeconds(90))) {
      LoadRunner runner = new LoadRunner(vertx, "127.0.0.1", port, "fashion-convnet");
      Payloads single = new Payloads(ImageInput.of(models.resolve("fashion-convnet")), 1, 42);
      StepResult idle = runner.closedLoop("idle", Protocol.OIP_BINARY, single, 16, 5, 10);
      Harness.print(idle);

      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      String id = submit(http, port);
      awaitEpochs(http, port, id, 2);
      double[] before = epochsAt(http, port, id);
      Thread.sleep((long) (seconds * 1000));
      double[] after = epochsAt(http, port, id);
      double serverRate = (after[0] - before[0]) / ((after[1] - before[1]) / 1e9);
      System.out.printf(Locale.ROOT, "server fine-tuning, no inference: %.3f epochs/s%n", serverRate);

      StepResult busy = runner.closedLoop("while training", Protocol.OIP_BINARY, single, 16, 5, 10);
      Harness.print(busy);
      double[] end = epochsAt(http, port, id);
      http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/jobs/" + id)).DELETE().build(), HttpResponse.BodyHandlers.discarding());

      String md =
          String.format(
              Locale.ROOT,
              """
              | measure | value | target |
              |---|---|---|
              | inference p99, idle (OIP binary, 1 image, c=16) | %.2f ms (p50 %.2f, %.0f req/s) | |
              | inference p99 while a fine-tune job trains | %.2f ms (p50 %.2f, %.0f req/s) | |
              | p99 while training / idle | %.2f | <= 2 |
              | fine-tune epochs/s in the server / in-process | %.3f / %.3f = %.2f | >= 0.8 |
              | epochs the job completed while inference ran | %.0f | |
              """,
              idle.percentileMillis(99), idle.percentileMillis(50), idle.requestsPerSecond(),
              busy.percentileMillis(99), busy.percentileMillis(50), busy.requestsPerSecond(),
              busy.percentileMillis(99) / idle.percentileMillis(99),
              serverRate, inProcess, serverRate / inProcess,
              end[0] - after[0]);
      System.out.println();
      System.out.println(md);
      Files.writeString(out.resolve("training-impact.md"), md);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static LabelledImages images() throws Exception {
    LabelledImages all = new FashionMnist(FashionMnist.DEFAULT_DIRECTORY).train();
    float[] pixels = new float[EXAMPLES * 784];
    all.copyPixels(0, EXAMPLES, pixels);
    return new LabelledImages(EXAMPLES, 28, 28, pixels, java.util.Arrays.copyOf(all.labels(), EXAMPLES));
  }

  private static double inProcessViaProcess(String cores, double seconds, Path out) throws Exception {
    Process process =
        new ProcessBuilder(
                "taskset", "-c", cores, ServerProcess.javaBinary(), "-cp", ServerProcess.classPath(),
                TrainingImpact.class.getName(), "in-process", Double.toString(seconds))
            .redirectError(out.resolve("impact-in-process.log").toFile())
            .start();
    String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    process.waitFor();
    for (String line : output.split("\n", -1)) {
      if (line.startsWith("IN_PROCESS ")) {
        return Double.parseDouble(line.substring(11).trim());
      }
    }
    throw new IllegalStateException("in-process run failed: " + output);
  }

  /** Trains in this JVM for {@code seconds} after two warm-up epochs; epochs per second. */
  private static double inProcessEpochsPerSecond(double seconds) throws Exception {
    LabelledImages data = images();
    List<String> classes = FashionMnist.LABELS;
    LabelledExamples examples =
        new LabelledExamples(TensorData.ofFloats(new long[] {EXAMPLES, 28, 28, 1}, data.pixels()), data.labels(), classes);
    List<Long> epochEnds = new ArrayList<>();
    long[] deadline = {Long.MAX_VALUE};
    Path output = Files.createTempDirectory("impact").resolve("1");
    try {
      new TensorFlowTrainer()
          .train(
              new TrainingRequest(Path.of("models/fashion-convnet/1"), new FeatureLayers("features", null, null), "features", "block2", Strategy.FINE_TUNE, examples, HP, output, null),
              new TrainingProgress() {
                @Override
                public void phase(Phase phase) {}

                @Override
                public void epoch(EpochMetrics metrics, double fractionDone) {
                  epochEnds.add(System.nanoTime());
                  if (epochEnds.size() == 2) {
                    deadline[0] = System.nanoTime() + (long) (seconds * 1e9);
                  }
                }

                @Override
                public boolean cancelled() {
                  return System.nanoTime() > deadline[0];
                }
              });
    } catch (TrainingCancelledException e) {
      // the measuring window is over
    }
    int last = epochEnds.size() - 1;
    return (last - 1) / ((epochEnds.get(last) - epochEnds.get(1)) / 1e9);
  }

  private static String submit(HttpClient http, int port) throws Exception {
    LabelledImages data = images();
    StringBuilder body = new StringBuilder("{\"base_model\": \"fashion-convnet\", \"target_model\": \"impact\", \"strategy\": \"fine_tune\",");
    body.append(" \"hyperparameters\": {\"epochs\": 10000, \"patience\": 10000, \"seed\": 7, \"frozen_blocks\": 1}, \"instances\": [");
    for (int i = 0; i < EXAMPLES; i++) {
      BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
      for (int p = 0; p < 784; p++) {
        image.getRaster().setSample(p % 28, p / 28, 0, Math.round(data.pixels()[i * 784 + p] * 255));
      }
      ByteArrayOutputStream png = new ByteArrayOutputStream();
      ImageIO.write(image, "png", png);
      body.append(i == 0 ? "" : ",").append("{\"b64\": \"").append(Base64.getEncoder().encodeToString(png.toByteArray())).append("\"}");
    }
    body.append("], \"labels\": [");
    for (int i = 0; i < EXAMPLES; i++) {
      body.append(i == 0 ? "" : ",").append('"').append(FashionMnist.LABELS.get(data.labels()[i])).append('"');
    }
    body.append("]}");
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/jobs"))
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 202) {
      throw new IllegalStateException("job refused: " + response.body());
    }
    return JSON.readTree(response.body()).get("id").asText();
  }

  /** Completed epochs of a job and when they were read. */
  private static double[] epochsAt(HttpClient http, int port, String id) throws Exception {
    JsonNode job =
        JSON.readTree(
            http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/jobs/" + id)).build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    return new double[] {job.get("epochs").size(), System.nanoTime()};
  }

  private static void awaitEpochs(HttpClient http, int port, String id, int epochs) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (epochsAt(http, port, id)[0] < epochs) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("job " + id + " did not start training");
      }
      Thread.sleep(200);
    }
  }

  static void copy(Path from, Path to) throws Exception {
    try (var files = Files.walk(from)) {
      for (Path source : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target);
        }
      }
    }
  }
}
