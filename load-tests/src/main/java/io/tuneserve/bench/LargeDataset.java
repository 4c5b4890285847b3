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
import io.tuneserve.training.TrainingProgress;
import io.tuneserve.training.TrainingRequest;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;

/**
 * A fine-tuning job on all 60,000 Fashion-MNIST training images, from a stored dataset, in a server
 * whose heap is capped, against the same training in-process with the images in memory. Both run
 * on the same core; each reports seconds per epoch (training steps plus the accuracy passes over
 * the training and validation splits).
 *
 * <ol>
 *   <li>the 60,000 images are written as PNGs into a zip of label folders;
 *   <li>in-process: {@code fine_tune} of the demo model on the same images as floats in memory;
 *   <li>the server (heap capped) stores the zip as a dataset (streamed upload), then trains the
 *       same job from it; its peak heap comes from its GC log, its peak RSS from /proc.
 * </ol>
 */
public final class LargeDataset {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern GC_HEAP = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("in-process")) {
      inProcess(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
      return;
    }
    String cores = args.length > 0 ? args[0] : "0";
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    String heap = args.length > 2 ? args[2] : "1g";
    int count = args.length > 3 ? Integer.parseInt(args[3]) : 60_000;
    Path out = Path.of("load-tests/results");
    Files.createDirectories(out);
    Path work = Files.createTempDirectory("tuneserve-large");
    try {
      Path archive = work.resolve("fashion-mnist-train.zip");
      long writeStart = System.nanoTime();
      writeArchive(archive, count);
      System.out.printf(
          Locale.ROOT,
          "wrote %d PNGs, %.1f MB, in %.1f s%n",
          count,
          Files.size(archive) / 1e6,
          (System.nanoTime() - writeStart) / 1e9);

      double[] inProcess = inProcessViaProcess(cores, epochs, count, out);
      System.out.printf(
          Locale.ROOT, "in-process: first epoch %.1f s, then %.1f s per epoch%n", inProcess[0], inProcess[1]);

      Path models = Files.createTempDirectory(work, "models");
      TrainingImpact.copy(Path.of("models"), models);
      int port = 18280;
      Path gcLog = out.resolve("large-dataset-gc.log");
      try (ServerProcess server =
          ServerProcess.start(
                  "tuneserve",
                  cores,
                  List.of(
                      ServerProcess.javaBinary(),
                      "-Xmx" + heap,
                      "-Xlog:gc:file=" + gcLog,
                      "-jar",
                      "target/tuneserve.jar",
                      "serve",
                      "--port",
                      Integer.toString(port),
                      "--models",
                      models.toString()),
                  Map.of("TUNESERVE_DATASETS__DIRECTORY", work.resolve("datasets").toString()),
                  out.resolve("large-dataset-server.log"))
              .awaitReady(
                  "http://127.0.0.1:" + port + "/v2/models/fashion-convnet/ready",
                  Duration.ofSeconds(90))) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String base = "http://127.0.0.1:" + port;
        long uploadStart = System.nanoTime();
        HttpResponse<String> stored =
            http.send(
                HttpRequest.newBuilder(URI.create(base + "/v1/datasets/fashion-train"))
                    .header("content-type", "application/zip")
                    .PUT(HttpRequest.BodyPublishers.ofFile(archive))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        double uploadSeconds = (System.nanoTime() - uploadStart) / 1e9;
        if (stored.statusCode() != 201) {
          throw new IllegalStateException("dataset refused: " + stored.body());
        }
        System.out.printf(Locale.ROOT, "stored the dataset in %.1f s: %s%n", uploadSeconds, stored.body());

        HttpResponse<String> submitted =
            http.send(
                HttpRequest.newBuilder(URI.create(base + "/v1/jobs"))
                    .POST(HttpRequest.BodyPublishers.ofString(jobRequest(epochs)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (submitted.statusCode() != 202) {
          throw new IllegalStateException("job refused: " + submitted.body());
        }
        String id = JSON.readTree(submitted.body()).get("id").asText();
        List<Long> epochEnds = new ArrayList<>();
        long trainingStart = 0;
        long peakRss = 0;
        JsonNode job;
        while (true) {
          job = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/v1/jobs/" + id)).build(), HttpResponse.BodyHandlers.ofString()).body());
          peakRss = Math.max(peakRss, server.rssBytes());
          if (trainingStart == 0 && "training".equals(job.path("phase").asText())) {
            trainingStart = System.nanoTime();
          }
          while (epochEnds.size() < job.get("epochs").size()) {
            epochEnds.add(System.nanoTime());
          }
          String state = job.get("state").asText();
          if (state.equals("SUCCEEDED") || state.equals("FAILED") || state.equals("CANCELLED")) {
            break;
          }
          Thread.sleep(250);
        }
        if (!job.get("state").asText().equals("SUCCEEDED")) {
          throw new IllegalStateException("job did not succeed: " + job);
        }
        double first = (epochEnds.get(0) - trainingStart) / 1e9;
        double then = (epochEnds.get(epochEnds.size() - 1) - epochEnds.get(0)) / 1e9 / Math.max(1, epochEnds.size() - 1);
        long[] heapMb = gcHeap(gcLog);
        String md =
            String.format(
                Locale.ROOT,
                """
                | measure | in-process (images in memory) | server (dataset, -Xmx%s) | server / in-process |
                |---|---|---|---|
                | first epoch (s) | %.1f | %.1f | %.2f |
                | each later epoch (s) | %.1f | %.1f | %.2f |
                | validation accuracy | | %.4f | |
                | storing the dataset (%d images, %.1f MB zip) | | %.1f s | |
                | peak heap after GC / before GC (MB) | | %d / %d of %d | |
                | peak RSS (MB) | | %.0f | |
                """,
                heap,
                inProcess[0], first, first / inProcess[0],
                inProcess[1], then, then / inProcess[1],
                job.at("/result/validation_accuracy").asDouble(),
                count, Files.size(archive) / 1e6, uploadSeconds,
                heapMb[1], heapMb[0], heapMb[2],
                peakRss / 1e6);
        System.out.println();
        System.out.println(md);
        Files.writeString(out.resolve("large-dataset.md"), md);
      }
    } finally {
      delete(work);
    }
  }

  private static void delete(Path root) throws Exception {
    try (var files = Files.walk(root)) {
      for (Path path : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  private static Hyperparameters hyperparameters(int epochs) {
    return new Hyperparameters(epochs, 64, 0.05, 0.005, 1, 0, 1e-4, 0.2, 1000, 7, ClassifierLoss.SOFTMAX);
  }

  private static String jobRequest(int epochs) {
    Hyperparameters hp = hyperparameters(epochs);
    return String.format(
        Locale.ROOT,
        "{\"base_model\": \"fashion-convnet\", \"target_model\": \"fashion-large\", \"strategy\": \"fine_tune\","
            + " \"dataset\": \"fashion-train\", \"hyperparameters\": {\"epochs\": %d, \"batch_size\": %d,"
            + " \"learning_rate\": %s, \"base_learning_rate\": %s, \"frozen_blocks\": %d, \"head_epochs\": %d,"
            + " \"l2\": %s, \"validation_fraction\": %s, \"patience\": %d, \"seed\": %d}}",
        hp.epochs(), hp.batchSize(), hp.learningRate(), hp.baseLearningRate(), hp.frozenBlocks(),
        hp.headEpochs(), hp.l2(), hp.validationFraction(), hp.patience(), hp.seed());
  }

  private static void writeArchive(Path archive, int count) throws Exception {
    LabelledImages train = new FashionMnist(FashionMnist.DEFAULT_DIRECTORY).train();
    try (OutputStream file = Files.newOutputStream(archive);
        ZipOutputStream zip = new ZipOutputStream(file)) {
      zip.setLevel(0);
      for (int i = 0; i < count; i++) {
        String label = FashionMnist.LABELS.get(train.labels()[i]).replace('/', '-');
        zip.putNextEntry(new ZipEntry(label + "/" + i + ".png"));
        zip.write(png(train, i));
      }
    }
  }

  /** Image {@code index} of a set of 28x28 greyscale images in [0, 1], as a PNG. */
  static byte[] png(LabelledImages images, int index) throws Exception {
    BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    for (int p = 0; p < 784; p++) {
      image.getRaster().setSample(p % 28, p / 28, 0, Math.round(images.pixels()[index * 784 + p] * 255));
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(image, "png", png);
    return png.toByteArray();
  }

  /** The largest heap before and after a collection, and the heap's size, in MB, from a GC log. */
  private static long[] gcHeap(Path log) throws Exception {
    long before = 0;
    long after = 0;
    long size = 0;
    for (String line : Files.readAllLines(log)) {
      Matcher m = GC_HEAP.matcher(line);
      if (m.find()) {
        before = Math.max(before, Long.parseLong(m.group(1)));
        after = Math.max(after, Long.parseLong(m.group(2)));
        size = Math.max(size, Long.parseLong(m.group(3)));
      }
    }
    return new long[] {before, after, size};
  }

  private static double[] inProcessViaProcess(String cores, int epochs, int count, Path out) throws Exception {
    Process process =
        new ProcessBuilder(
                "taskset", "-c", cores, ServerProcess.javaBinary(), "-Xmx4g", "-cp", ServerProcess.classPath(),
                LargeDataset.class.getName(), "in-process", Integer.toString(epochs), Integer.toString(count))
            .redirectError(out.resolve("large-dataset-in-process.log").toFile())
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(2, TimeUnit.HOURS)) {
      process.destroyForcibly();
    }
    for (String line : output.split("\n", -1)) {
      if (line.startsWith("IN_PROCESS ")) {
        String[] parts = line.substring(11).trim().split(" ");
        return new double[] {Double.parseDouble(parts[0]), Double.parseDouble(parts[1])};
      }
    }
    throw new IllegalStateException("in-process run failed: " + output);
  }

  /** Trains in this JVM with the images in memory; prints the first and the later epochs' seconds. */
  private static void inProcess(int epochs, int count) throws Exception {
    LabelledImages train = new FashionMnist(FashionMnist.DEFAULT_DIRECTORY).train();
    float[] pixels = new float[count * 784];
    train.copyPixels(0, count, pixels);
    // The classes in the order a dataset gives them: its label folders, sorted.
    List<String> folders = FashionMnist.LABELS.stream().map(l -> l.replace('/', '-')).toList();
    List<String> classes = folders.stream().sorted().toList();
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      labels[i] = classes.indexOf(folders.get(train.labels()[i]));
    }
    LabelledExamples examples =
        new LabelledExamples(TensorData.ofFloats(new long[] {count, 28, 28, 1}, pixels), labels, classes);
    List<Long> ends = new ArrayList<>();
    long[] trainingStart = {0};
    Path output = Files.createTempDirectory("large-in-process").resolve("1");
    new TensorFlowTrainer()
        .train(
            new TrainingRequest(Path.of("models/fashion-convnet/1"), new FeatureLayers("features", null, null), "features", "block2", Strategy.FINE_TUNE, examples, hyperparameters(epochs), output, null),
            new TrainingProgress() {
              @Override
              public void phase(Phase phase) {
                if (phase == Phase.TRAINING) {
                  trainingStart[0] = System.nanoTime();
                }
              }

              @Override
              public void epoch(EpochMetrics metrics, double fractionDone) {
                ends.add(System.nanoTime());
              }

              @Override
              public boolean cancelled() {
                return false;
              }
            });
    double first = (ends.get(0) - trainingStart[0]) / 1e9;
    double then = (ends.get(ends.size() - 1) - ends.get(0)) / 1e9 / Math.max(1, ends.size() - 1);
    System.out.printf(Locale.ROOT, "IN_PROCESS %.3f %.3f%n", first, then);
  }
}
