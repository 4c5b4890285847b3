package io.tuneserve.bench;

import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The whole comparison in one run: the in-process limit, tuneserve over every protocol at a sweep
 * of concurrencies for requests of 1 and 32 images, batching off against on, adaptive batching
 * against a fixed queue delay, and the peers that
 * are installed. The server and the limit run on {@code --server-cores}; this process, the load
 * generator, should be pinned elsewhere (load-tests/run.sh does both).
 */
@Command(
    name = "load-tests",
    mixinStandardHelpOptions = true,
    description = "Measures tuneserve against its in-process limit and its peers on 127.0.0.1.")
public final class Harness implements Callable<Integer> {
  @Option(names = "--quick", description = "Short steps and fewer concurrencies (about 6 minutes).")
  boolean quick;

  @Option(names = "--server-cores", defaultValue = "0", description = "Cores for the server and the limit (taskset list, default ${DEFAULT-VALUE}).")
  String serverCores;

  @Option(names = "--jar", defaultValue = "target/tuneserve.jar", description = "The server jar.")
  Path jar;

  @Option(names = "--models", defaultValue = "models", description = "Model repository to serve.")
  Path models;

  @Option(names = "--model", defaultValue = "fashion-convnet", description = "Model to load.")
  String model;

  @Option(names = "--out", defaultValue = "load-tests/results", description = "Where the report and plot go.")
  Path out;

  @Option(names = "--port", defaultValue = "18080", description = "Port for the servers under test.")
  int port;

  @Option(names = "--soak-minutes", defaultValue = "0", description = "Also run a soak of this many minutes and report RSS and heap drift.")
  double soakMinutes;

  /** Batch sizes of the demo model's limit: 1 for the c=1 bound, 64 the fullest batch at c=64, 128 the default max_batch_size. */
  private static final String DEMO_BATCHES = "1,8,32,64,128";

  private static final String COMPUTE_MODEL = "mobilenet";

  /** The longest a fresh server is warmed per protocol, in a full and in a quick run. */
  static final double WARM_UP_MAX_SECONDS = 60;

  static final double QUICK_WARM_UP_MAX_SECONDS = 16;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Harness()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Files.createDirectories(out);
    double warmup = quick ? 0.5 : 1;
    double step = quick ? 2 : 5;
    int[] concurrencies = quick ? new int[] {1, 16, 64} : new int[] {1, 4, 16, 64, 256};
    Report report = new Report(LocalDate.now().toString(), serverCores, quick, model);

    report.limitBefore = demoLimit("limit.log");
    report.limit = report.limitBefore;
    ImageInput input = report.limit.input();

    Vertx vertx = Vertx.vertx();
    try {
      try (ServerProcess server = startTuneserve(Map.of(), "tuneserve", models, model)) {
        LoadRunner runner = new LoadRunner(vertx, "127.0.0.1", port, model);
        // A fresh server: its JIT compiles each protocol's path before the steps that count, so
        // the first step of the sweep does not measure the warm-up.
        warmUntilSteady(report, "tuneserve", runner, Protocol.TENSORS, new Payloads(input, 1, 42));
        for (int images : new int[] {1, 32}) {
          Payloads payloads = new Payloads(input, images, 42);
          if (images > 1) {
            // Many-image bodies take paths of their own (larger reads, several requests to a
            // batch) that the 1-image warm-up leaves to the JIT, at a few hundred requests/s.
            warmUntilSteady(report, "tuneserve, " + images + " images", runner, Protocol.TENSORS, payloads, 16);
          }
          for (Protocol protocol : Protocol.TENSORS) {
            for (int concurrency : concurrencies) {
              StepResult result = runner.closedLoop("tuneserve", protocol, payloads, concurrency, warmup, step);
              print(result);
              report.steps.add(result);
            }
          }
        }
        Payloads single = new Payloads(input, 1, 42);
        double best = report.best("tuneserve", Protocol.OIP_BINARY, 1);
        // Unrecorded: the load generator's open-loop path is compiled before the steps that count.
        runner.openLoop("warm-up", Protocol.OIP_BINARY, single, best * 0.5, quick ? 2 : 5, 64);
        for (double load : new double[] {0.5, 0.8}) {
          StepResult open = runner.openLoop("tuneserve", Protocol.OIP_BINARY, single, best * load, step, 64);
          print(open);
          report.openLoop.add(open);
        }
        // Measured again while this server idles, so the ratios divide by what the machine did
        // around the steps (its speed moves by 10-30 % within minutes on shared hosts).
        report.limitAfter = demoLimit("limit-after.log");
        report.limit = Limit.mean(report.limitBefore, report.limitAfter);
        if (soakMinutes > 0) {
          report.soak = Soak.run(server, runner, single, best * 0.5, soakMinutes);
        }
        // The peer is measured while this server idles, so both answers can be compared.
        Peers.runAll(this, vertx, report, warmup, step);
      }
      try (ServerProcess server =
          startTuneserve(Map.of("TUNESERVE_BATCHING__ENABLED", "false"), "tuneserve-unbatched", models, model)) {
        LoadRunner runner = new LoadRunner(vertx, "127.0.0.1", port, model);
        warmUntilSteady(
            report, "batching off", runner, List.of(Protocol.OIP_BINARY, Protocol.TFS_JSON), new Payloads(input, 1, 42));
        for (Protocol protocol : List.of(Protocol.OIP_BINARY, Protocol.TFS_JSON)) {
          StepResult result =
              runner.closedLoop("batching off", protocol, new Payloads(input, 1, 42), 64, warmup, step);
          print(result);
          report.unbatched.add(result);
        }
      }
      compareBatchingModes(vertx, report, warmup, step);
      measureComputeBound(vertx, report, warmup, step);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    Path markdown = out.resolve("results.md");
    Files.writeString(markdown, report.markdown());
    Path plot = out.resolve("throughput.png");
    new Plot(report).write(plot);
    System.out.println();
    System.out.println(report.markdown());
    System.out.println("wrote " + markdown + " and " + plot);
    return 0;
  }

  /**
   * The default (adaptive: a free batch thread runs what has queued at once) against waiting up to
   * a fixed delay for fuller batches, at low and high load: each on a fresh server, the same steps
   * in the same order, so neither gains from the other's warm-up.
   */
  private void compareBatchingModes(Vertx vertx, Report report, double warmup, double step) throws Exception {
    Map<String, Map<String, String>> modes = new LinkedHashMap<>();
    modes.put(Report.ADAPTIVE, Map.of());
    modes.put(
        Report.FIXED_DELAY, Map.of("TUNESERVE_BATCHING__MAX_QUEUE_DELAY_MS", Double.toString(Report.FIXED_DELAY_MS)));
    Payloads single = new Payloads(report.limit.input(), 1, 42);
    for (Map.Entry<String, Map<String, String>> mode : modes.entrySet()) {
      try (ServerProcess server =
          startTuneserve(mode.getValue(), "tuneserve-" + mode.getKey().replace(' ', '-'), models, model)) {
        LoadRunner runner = new LoadRunner(vertx, "127.0.0.1", port, model);
        warmUntilSteady(report, mode.getKey(), runner, List.of(Protocol.OIP_BINARY, Protocol.TFS_JSON), single);
        for (Protocol protocol : List.of(Protocol.OIP_BINARY, Protocol.TFS_JSON)) {
          for (int concurrency : new int[] {1, 64}) {
            StepResult result = runner.closedLoop(mode.getKey(), protocol, single, concurrency, warmup, step);
            print(result);
            report.batchingModes.add(result);
          }
        }
      }
    }
  }

  /**
   * A compute-bound model beside the demo: the zoo's MobileNetV2-shaped ConvNet (224x224 RGB, about
   * 300 million multiply-adds per image), its own in-process limit, then 1-image requests at c=16
   * as raw tensors (OIP binary) and as base64 JPEGs in TF Serving JSON, which the server decodes.
   */
  private void measureComputeBound(Vertx vertx, Report report, double warmup, double step) throws Exception {
    Path repository = out.resolve("zoo-models");
    Path directory = repository.resolve(COMPUTE_MODEL);
    if (!Files.exists(directory.resolve("1").resolve("saved_model.pb"))) {
      Process zoo =
          new ProcessBuilder(
                  ServerProcess.javaBinary(), "-jar", jar.toString(), "zoo", "mobilenet", "--out", directory.toString())
              .redirectErrorStream(true)
              .redirectOutput(out.resolve("zoo.log").toFile())
              .start();
      if (zoo.waitFor() != 0) {
        throw new IllegalStateException("tuneserve zoo mobilenet failed; see " + out.resolve("zoo.log"));
      }
    }
    report.computeLimitBefore = computeLimit(directory, "limit-" + COMPUTE_MODEL + ".log");
    report.computeLimit = report.computeLimitBefore;
    Payloads single = new Payloads(report.computeLimit.input(), 1, 42);
    // The demo model is served beside it: at this model's few requests per second the JIT would
    // take minutes to compile the request path it shares with every model, which the demo's
    // requests warm in seconds.
    Path demo = repository.resolve(model);
    if (!Files.exists(demo)) {
      Files.createSymbolicLink(demo, models.resolve(model).toAbsolutePath());
    }
    try (ServerProcess server = startTuneserve(Map.of(), "tuneserve-" + COMPUTE_MODEL, repository, COMPUTE_MODEL)) {
      warmUntilSteady(
          report,
          COMPUTE_MODEL + " server (demo model)",
          new LoadRunner(vertx, "127.0.0.1", port, model),
          List.of(Protocol.OIP_BINARY, Protocol.GRPC, Protocol.TFS_JPEG),
          new Payloads(report.limit.input(), 1, 42));
      LoadRunner runner = new LoadRunner(vertx, "127.0.0.1", port, COMPUTE_MODEL);
      for (Protocol protocol : List.of(Protocol.OIP_BINARY, Protocol.GRPC, Protocol.TFS_JPEG)) {
        runner.closedLoop(COMPUTE_MODEL, protocol, single, Report.COMPUTE_CONCURRENCY, 0, quick ? 5 : 20);
        StepResult result =
            runner.closedLoop(COMPUTE_MODEL, protocol, single, Report.COMPUTE_CONCURRENCY, warmup, step);
        print(result);
        report.computeSteps.add(result);
      }
    }
    report.computeLimitAfter = computeLimit(directory, "limit-" + COMPUTE_MODEL + "-after.log");
    report.computeLimit = Limit.mean(report.computeLimitBefore, report.computeLimitAfter);
  }

  /**
   * Warms a fresh server with 1-image requests at c=64, protocol by protocol, until its rate stops
   * climbing; the rates go into the report, so a run shows how long its servers took to get there.
   */
  private void warmUntilSteady(
      Report report, String server, LoadRunner runner, List<Protocol> protocols, Payloads payloads) throws Exception {
    warmUntilSteady(report, server, runner, protocols, payloads, 64);
  }

  private void warmUntilSteady(
      Report report, String server, LoadRunner runner, List<Protocol> protocols, Payloads payloads, int concurrency)
      throws Exception {
    for (Protocol protocol : protocols) {
      List<Double> rates = runner.warmUntilSteady(
              protocol, payloads, concurrency, quick ? 2 : 4, quick ? QUICK_WARM_UP_MAX_SECONDS : WARM_UP_MAX_SECONDS);
      String line =
          String.format(
              java.util.Locale.ROOT,
              "warm-up of %s, %s: %s req/s",
              server,
              protocol.label,
              rates.stream().map(r -> String.format(java.util.Locale.ROOT, "%.0f", r)).collect(java.util.stream.Collectors.joining(", ")));
      System.out.println("   " + line);
      report.warmUps.add(line);
    }
  }

  private Limit demoLimit(String log) throws Exception {
    System.out.println("== in-process limit of " + model + " on cores " + serverCores);
    Limit limit =
        Limit.measure(serverCores, models.resolve(model).resolve("1"), quick ? 1 : 3, DEMO_BATCHES, out.resolve(log));
    System.out.printf("   %.0f images/s at batch %d%n", limit.imagesPerSecond(), limit.batch());
    return limit;
  }

  private Limit computeLimit(Path directory, String log) throws Exception {
    System.out.println("== in-process limit of " + COMPUTE_MODEL + " on cores " + serverCores);
    Limit limit = Limit.measure(serverCores, directory.resolve("1"), quick ? 2 : 4, "1,8,16,32", out.resolve(log));
    System.out.printf("   %.0f images/s at batch %d%n", limit.imagesPerSecond(), limit.batch());
    return limit;
  }

  private ServerProcess startTuneserve(Map<String, String> env, String name, Path repository, String served)
      throws Exception {
    List<String> command = new ArrayList<>();
    command.add(ServerProcess.javaBinary());
    // Pauses are in the log, so a stall in the steps or the soak can be told from a GC pause.
    command.add("-Xlog:gc:file=" + out.resolve(name + "-gc.log"));
    command.add("-jar");
    command.add(jar.toString());
    command.add("serve");
    command.add("--port");
    command.add(Integer.toString(port));
    command.add("--models");
    command.add(repository.toString());
    return ServerProcess.start(name, serverCores, command, env, out.resolve(name + ".log"))
        .awaitReady("http://127.0.0.1:" + port + "/v2/models/" + served + "/ready", Duration.ofSeconds(90));
  }

  int port() {
    return port;
  }

  Path out() {
    return out;
  }

  Path modelDirectory() {
    return models.resolve(model).resolve("1");
  }

  String serverCores() {
    return serverCores;
  }

  static void print(StepResult r) {
    System.out.printf(
        java.util.Locale.ROOT,
        "%-12s %-17s %2d img  c=%-4d rate=%-7.0f %9.0f req/s %9.0f img/s  p50 %7.2f  p99 %7.2f  max %7.2f ms  errors %d%n",
        r.target(),
        r.protocol().label,
        r.imagesPerRequest(),
        r.concurrency(),
        r.rate(),
        r.requestsPerSecond(),
        r.imagesPerSecond(),
        r.percentileMillis(50),
        r.percentileMillis(99),
        r.maxMillis(),
        r.errors());
    r.failures().forEach((kind, count) -> System.out.printf("    %d failed: %s%n", count, kind));
  }
}
