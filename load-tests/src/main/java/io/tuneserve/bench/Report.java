package io.tuneserve.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Everything one run measured, and the markdown that reports it with the targets. */
final class Report {
  final String date;
  final String serverCores;
  final boolean quick;
  /** The mean of {@link #limitBefore} and {@link #limitAfter}, which ratios divide by. */
  Limit limit;

  Limit limitBefore;
  Limit limitAfter;
  final List<StepResult> steps = new ArrayList<>();
  final List<StepResult> openLoop = new ArrayList<>();
  final List<StepResult> unbatched = new ArrayList<>();
  /** Fresh servers batching adaptively and with a fixed delay of {@link #FIXED_DELAY_MS}. */
  final List<StepResult> batchingModes = new ArrayList<>();
  static final double FIXED_DELAY_MS = 2.0;
  static final String ADAPTIVE = "adaptive";
  static final String FIXED_DELAY = "fixed delay 2 ms";
  final List<StepResult> peers = new ArrayList<>();
  final List<String> notes = new ArrayList<>();
  /** How each fresh server's warm-up went, one line per server and protocol. */
  final List<String> warmUps = new ArrayList<>();
  Soak.Result soak;

  /** The compute-bound model's limit and its steps (1 image, c={@link #COMPUTE_CONCURRENCY}). */
  Limit computeLimit;

  Limit computeLimitBefore;
  Limit computeLimitAfter;

  final List<StepResult> computeSteps = new ArrayList<>();
  static final int COMPUTE_CONCURRENCY = 16;
  final String model;

  Report(String date, String serverCores, boolean quick, String model) {
    this.date = date;
    this.serverCores = serverCores;
    this.quick = quick;
    this.model = model;
  }

  /** The best requests/s of a target and protocol for requests of {@code images}. */
  double best(String target, Protocol protocol, int images) {
    return all().stream()
        .filter(r -> r.target().equals(target) && r.protocol() == protocol && r.imagesPerRequest() == images)
        .mapToDouble(StepResult::requestsPerSecond)
        .max()
        .orElse(0);
  }

  private StepResult at(List<StepResult> results, String target, Protocol protocol, int images, int concurrency) {
    return results.stream()
        .filter(
            r ->
                r.target().equals(target)
                    && r.protocol() == protocol
                    && r.imagesPerRequest() == images
                    && r.concurrency() == concurrency)
        .findFirst()
        .orElse(null);
  }

  private List<StepResult> all() {
    List<StepResult> all = new ArrayList<>(steps);
    all.addAll(peers);
    return all;
  }

  double efficiency(StepResult result) {
    return efficiency(result, limit);
  }

  private static double efficiency(StepResult result, Limit limit) {
    return result.imagesPerSecond() / limit.imagesPerSecond();
  }

  String markdown() {
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "## Load test %s%s%n%n", date, quick ? " (quick)" : ""));
    md.append(
        String.format(
            Locale.ROOT,
            "Server and in-process limit pinned to cores %s, load generator to the others; model"
                + " %s (%s FP32). In-process limit: **%.0f images/s**, the mean of %.0f measured"
                + " before the server's steps and %.0f after them (TensorFlow Java, best batch %d; a"
                + " batch of 1 takes %.3f ms, a full batch of %d %.2f ms).%n%n",
            serverCores, model, limit.input().describe(), limit.imagesPerSecond(),
            limitBefore.imagesPerSecond(), limitAfter.imagesPerSecond(), limit.batch(),
            limit.msPerBatch(1), FULL_BATCH, fullBatchMs()));
    md.append("Machine: ").append(cpu()).append("\n\n");
    md.append(TABLE_HEAD);
    List<StepResult> rows = new ArrayList<>(steps);
    rows.addAll(unbatched);
    rows.addAll(batchingModes);
    rows.addAll(peers);
    for (StepResult r : rows) {
      md.append(row(r, limit));
    }
    if (!openLoop.isEmpty()) {
      md.append("\nOpen loop (fixed rate, latency from when each request was due):\n\n");
      md.append("| protocol | offered req/s | served req/s | p50 ms | p90 ms | p99 ms | max ms | errors |\n|---|---|---|---|---|---|---|---|\n");
      for (StepResult r : openLoop) {
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %d |%n",
                r.protocol().label, r.rate(), r.requestsPerSecond(), r.percentileMillis(50),
                r.percentileMillis(90), r.percentileMillis(99), r.maxMillis(), r.errors()));
      }
    }
    if (!batchingModes.isEmpty()) {
      md.append(
          "\nAdaptive batching (the default: a free batch thread runs what has queued at once) against"
              + " waiting up to a fixed delay for fuller batches, each on a fresh server with the same"
              + " steps in the same order after a warm-up step, 1 image per request:\n\n"
              + "| protocol | concurrency | adaptive req/s | fixed delay req/s | adaptive p50 ms | fixed delay p50 ms"
              + " | adaptive p99 ms | fixed delay p99 ms |\n|---|---|---|---|---|---|---|---|\n");
      for (StepResult fixed : batchingModes) {
        StepResult adaptive = at(batchingModes, ADAPTIVE, fixed.protocol(), 1, fixed.concurrency());
        if (fixed.target().equals(FIXED_DELAY) && adaptive != null) {
          md.append(
              String.format(
                  Locale.ROOT,
                  "| %s | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f |%n",
                  fixed.protocol().label, fixed.concurrency(), adaptive.requestsPerSecond(),
                  fixed.requestsPerSecond(), adaptive.percentileMillis(50), fixed.percentileMillis(50),
                  adaptive.percentileMillis(99), fixed.percentileMillis(99)));
        }
      }
    }
    if (computeLimit != null) {
      md.append(
          String.format(
              Locale.ROOT,
              "%nCompute-bound model: the zoo's MobileNetV2-shaped ConvNet (%s, random weights), its own"
                  + " in-process limit **%.1f images/s**, the mean of %.1f before its server's steps and"
                  + " %.1f after them (best batch %d; a batch of 1 takes %.1f ms), 1 image per request:%n%n",
              computeLimit.input().describe(), computeLimit.imagesPerSecond(),
              computeLimitBefore.imagesPerSecond(), computeLimitAfter.imagesPerSecond(), computeLimit.batch(),
              computeLimit.msPerBatch(1)));
      md.append(TABLE_HEAD);
      for (StepResult r : computeSteps) {
        md.append(row(r, computeLimit));
      }
    }
    md.append("\n### Targets\n\n| target | measured | goal | met |\n|---|---|---|---|\n");
    int top = steps.stream().mapToInt(StepResult::concurrency).max().orElse(64);
    for (Protocol protocol : Protocol.TENSORS) {
      StepResult one = at(steps, "tuneserve", protocol, 1, 64);
      if (one != null) {
        md.append(target("efficiency, 1 image, c=64, " + protocol.label, efficiency(one), goalOneImage(protocol)));
      }
    }
    for (Protocol protocol : Protocol.TENSORS) {
      double best32 =
          steps.stream()
              .filter(r -> r.protocol() == protocol && r.imagesPerRequest() == 32)
              .mapToDouble(this::efficiency)
              .max()
              .orElse(0);
      md.append(
          target(
              "efficiency, 32 images, " + protocol.label + " (best concurrency)",
              best32,
              isBinary(protocol) ? 0.95 : 0.65));
    }
    for (Protocol protocol : Protocol.TENSORS) {
      StepResult lone = at(steps, "tuneserve", protocol, 1, 1);
      if (lone != null) {
        double allowance = isBinary(protocol) ? 0.5 : 1.0;
        md.append(
            atMost(
                "p50, 1 image, c=1, " + protocol.label + " (ms)",
                lone.percentileMillis(50),
                limit.msPerBatch(1) + allowance,
                String.format(Locale.ROOT, "batch of 1 (%.2f) + %.1f", limit.msPerBatch(1), allowance)));
      }
    }
    double delay = 0;
    for (Protocol protocol : List.of(Protocol.OIP_BINARY, Protocol.WEBSOCKET)) {
      StepResult busy = at(steps, "tuneserve", protocol, 1, 64);
      if (busy != null) {
        md.append(
            atMost(
                "p99, 1 image, c=64, " + protocol.label + " (ms)",
                busy.percentileMillis(99),
                delay + 3 * fullBatchMs(),
                String.format(Locale.ROOT, "queue delay %.0f + 3 full batches (3 x %.2f)", delay, fullBatchMs())));
      }
    }
    for (Protocol[] pair :
        new Protocol[][] {{Protocol.GRPC, Protocol.OIP_BINARY}, {Protocol.GRPC_STREAM, Protocol.WEBSOCKET}}) {
      StepResult grpc = at(steps, "tuneserve", pair[0], 1, 64);
      StepResult other = at(steps, "tuneserve", pair[1], 1, 64);
      if (grpc != null && other != null) {
        md.append(
            target(
                "1 image, c=64, " + pair[0].label + " / " + pair[1].label + " (requests/s)",
                grpc.requestsPerSecond() / other.requestsPerSecond(),
                1.0));
      }
    }
    double[] batchesAllowed = {3, 5};
    for (int i = 0; i < openLoop.size() && i < batchesAllowed.length; i++) {
      StepResult open = openLoop.get(i);
      md.append(
          atMost(
              String.format(
                  Locale.ROOT, "open-loop p99, %s at %.0f req/s (%s of peak) (ms)", open.protocol().label, open.rate(),
                  i == 0 ? "50%" : "80%"),
              open.percentileMillis(99),
              batchesAllowed[i] * fullBatchMs(),
              String.format(Locale.ROOT, "%.0f full batches", batchesAllowed[i])));
    }
    StepResult on = at(steps, "tuneserve", Protocol.OIP_BINARY, 1, 64);
    StepResult off = at(unbatched, "batching off", Protocol.OIP_BINARY, 1, 64);
    if (on != null && off != null) {
      // Batching can gain at most what TensorFlow gains from it on this machine: the limit over
      // the rate of batches of 1. The goal asks 0.70 of that gain, as the 1-image c=64 binary
      // row asks 0.70 of the limit.
      double ceiling = limit.imagesPerSecond() * limit.msPerBatch(1) / 1000;
      md.append(
          target(
              String.format(
                  Locale.ROOT,
                  "batching on / off, 1 image, c=64, OIP binary (TensorFlow's own gain from batching: %.2f)",
                  ceiling),
              on.requestsPerSecond() / off.requestsPerSecond(),
              0.70 * ceiling));
    }
    for (StepResult r : computeSteps) {
      md.append(
          target(
              "compute-bound model, 1 image, c=" + r.concurrency() + ", " + r.protocol().label + " (÷ its limit)",
              efficiency(r, computeLimit),
              r.protocol() == Protocol.TFS_JPEG ? 0.80 : 0.90));
    }
    List<String> peerNotes = new ArrayList<>();
    for (StepResult peer : peers) {
      if (peer.concurrency() == 64) {
        StepResult ours = at(steps, "tuneserve", peer.protocol(), peer.imagesPerRequest(), 64);
        if (ours == null) {
          continue;
        }
        String name =
            "tuneserve / " + peer.target() + ", " + peer.imagesPerRequest() + " image(s), c=64, " + peer.protocol().label;
        double ratio = ours.requestsPerSecond() / peer.requestsPerSecond();
        if (peer.imagesPerRequest() == 1) {
          md.append(target(name, ratio, 12.0));
        } else {
          // With many images per request both servers are bound by their framework's compute:
          // no serving path can take the ratio past the in-process limit over the peer's rate.
          peerNotes.add(
              String.format(
                  Locale.ROOT,
                  "%s: %.2f (no goal; bound by compute: the in-process limit over the peer's rate is %.2f)",
                  name,
                  ratio,
                  limit.imagesPerSecond() / peer.imagesPerSecond()));
        }
      }
    }
    if (soak != null) {
      md.append(soak.markdownRow());
    }
    for (String note : peerNotes) {
      md.append("\n").append(note).append("\n");
    }
    if (top < 64) {
      md.append("\n(concurrency 64 was not part of this run)\n");
    }
    for (String note : notes) {
      md.append("\n").append(note).append("\n");
    }
    if (!warmUps.isEmpty()) {
      md.append(
          String.format(
              Locale.ROOT,
              "\nEach fresh server was warmed with 1-image requests at c=64 (and the first one with 32-image"
                  + " requests at c=16 before its 32-image steps) until %d steps in a row were within %.0f %% of each other (or %.0f s passed, %.0f s in a quick run):\n\n",
              LoadRunner.STEADY_STEPS,
              (LoadRunner.STEADY_SPREAD - 1) * 100,
              Harness.WARM_UP_MAX_SECONDS,
              Harness.QUICK_WARM_UP_MAX_SECONDS));
      for (String line : warmUps) {
        md.append("- ").append(line).append("\n");
      }
    }
    if (soak != null && !soak.failureNote().isEmpty()) {
      md.append("\n").append(soak.failureNote());
    }
    return md.toString();
  }

  /** The CPU model and the vector extensions TensorFlow's kernels care about, from /proc/cpuinfo. */
  static String cpu() {
    try {
      List<String> lines = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"));
      String model = "unknown CPU";
      String flags = "";
      for (String line : lines) {
        if (line.startsWith("model name") && model.equals("unknown CPU")) {
          model = line.substring(line.indexOf(':') + 1).trim();
        } else if (line.startsWith("flags") && flags.isEmpty()) {
          flags = " " + line.substring(line.indexOf(':') + 1).trim() + " ";
        }
      }
      List<String> vector = new ArrayList<>();
      for (String flag : List.of("avx", "avx2", "fma", "avx512f", "avx512_vnni", "amx_tile")) {
        vector.add((flags.contains(" " + flag + " ") ? "" : "no ") + flag);
      }
      return model + " (" + String.join(", ", vector) + ")";
    } catch (java.io.IOException e) {
      return "unknown CPU (" + e.getMessage() + ")";
    }
  }

  private static final String TABLE_HEAD =
      "| target | protocol | images/request | concurrency | requests/s | images/s | efficiency | p50 ms | p90 ms"
          + " | p99 ms | max ms | errors |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";

  /** The fullest batch 64 concurrent 1-image requests can form: the batch the p99 bounds are counted in. */
  static final int FULL_BATCH = 64;

  double fullBatchMs() {
    return limit.msPerBatch(FULL_BATCH);
  }

  private static boolean isBinary(Protocol protocol) {
    return protocol == Protocol.OIP_BINARY
        || protocol == Protocol.WEBSOCKET
        || protocol == Protocol.GRPC
        || protocol == Protocol.GRPC_STREAM;
  }

  private static double goalOneImage(Protocol protocol) {
    return switch (protocol) {
      case TFS_JSON -> 0.35;
      case OIP_JSON -> 0.45;
      default -> 0.70;
    };
  }

  private static String atMost(String name, double measured, double bound, String how) {
    return String.format(
        Locale.ROOT, "| %s | %.2f | <= %.2f (%s) | %s |%n", name, measured, bound, how, measured <= bound ? "yes" : "**no**");
  }

  private static String row(StepResult r, Limit limit) {
    return String.format(
        Locale.ROOT,
        "| %s | %s | %d | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %d |%n",
        r.target(), r.protocol().label, r.imagesPerRequest(), r.concurrency(), r.requestsPerSecond(),
        r.imagesPerSecond(), efficiency(r, limit), r.percentileMillis(50), r.percentileMillis(90),
        r.percentileMillis(99), r.maxMillis(), r.errors());
  }

  private static String target(String name, double measured, double goal) {
    return String.format(
        Locale.ROOT, "| %s | %.2f | >= %.2f | %s |%n", name, measured, goal, measured >= goal ? "yes" : "**no**");
  }
}
