package io.tuneserve.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.tuneserve.data.FashionMnist;
import io.tuneserve.data.LabelledImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * A deployed classifier meets a class it has never seen, and learns it from its users'
 * corrections, on a cluster of three JVMs (one datasets directory, as a shared volume would be)
 * while inference load runs on all of them:
 *
 * <ol>
 *   <li>{@code fashion} version 1: a linear head on the demo ConvNet's CNN codes, trained on nine
 *       Fashion-MNIST classes, bags held out; canary rollout settings and an evaluation dataset of
 *       all ten classes; continual settings that retrain once {@code N} corrections arrived;
 *   <li>inference load on the three nodes, measured idle first;
 *   <li>users classify bags (every answer wrong: the model knows no bags) and send each correction
 *       by the prediction's id to another node; the N-th starts a continual job, whose candidate
 *       goes through the gate and a canary trial, then answers as {@code stable} on all nodes;
 *   <li>accuracy on bags and on the other classes before and after, inference latency during the
 *       episode against idle, and a candidate trained on shuffled labels, which the gate must
 *       refuse.
 * </ol>
 *
 * Writes load-tests/results/feedback-episode.md.
 */
public final class FeedbackEpisode {
  private static final String[] NAMES = {
    "top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"
  };
  private static final int HELD_OUT = 8;
  private static final String MODEL = "fashion";
  private static final String JOB_OPTIONS =
      "\"strategy\": \"feature_extractor\", \"augmentation\": \"none\", \"hyperparameters\": {\"epochs\": 10}";

  public static void main(String[] args) throws Exception {
    int corrections = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int perClass = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    int users = args.length > 2 ? Integer.parseInt(args[2]) : 6;
    String cores = "0-" + (Runtime.getRuntime().availableProcessors() - 1);
    Path out = Path.of("load-tests/results");
    Files.createDirectories(out);
    FashionMnist fashion = new FashionMnist(FashionMnist.DEFAULT_DIRECTORY);
    LabelledImages train = fashion.train();
    LabelledImages test = fashion.test();
    Path datasets = Files.createTempDirectory("tuneserve-episode-datasets");

    try (ThreeNodes cluster =
        ThreeNodes.start(
            "episode",
            cores,
            out,
            models -> TrainingImpact.copy(Path.of("models"), models),
            Map.of("TUNESERVE_DATASETS__DIRECTORY", datasets.toString()))) {
      List<String> nodes = cluster.urls();
      String first = nodes.get(0);
      System.out.printf(Locale.ROOT, "3 nodes ready on cores %s; %s%n", cores, Report.cpu());

      // The deployed classifier: nine classes, no bags.
      upload(first, "fashion9", train, pick(train, allBut(HELD_OUT), 0, perClass), null);
      upload(first, "fashion-eval", test, pick(test, all(), 0, 50), null);
      JsonNode v1 =
          job(first, "{\"base_model\": \"fashion-convnet\", \"target_model\": \"" + MODEL
              + "\", \"dataset\": \"fashion9\", \"publish_as\": \"stable\", " + JOB_OPTIONS + "}");
      System.out.println("version 1: " + v1.at("/result/validation_accuracy") + " validation accuracy");
      ClusterHttp.put(
          nodes.get(1) + "/v1/models/" + MODEL + "/rollout",
          "{\"mode\": \"canary\", \"canary_percent\": 25, \"trial_seconds\": 10, \"min_trial_requests\": 30,"
              + " \"p99_tolerance\": 1.0, \"evaluation_dataset\": \"fashion-eval\"}",
          200);
      ClusterHttp.put(
          nodes.get(2) + "/v1/models/" + MODEL + "/continual",
          "{\"dataset\": \"fashion9\", \"labels\": [\"bag\"], \"min_new_examples\": " + corrections
              + ", \"job\": {" + JOB_OPTIONS + "}}",
          200);

      // 30 test images of each of the nine classes and 100 bags, none seen in training.
      List<Integer> check = pick(test, allBut(HELD_OUT), 8000, 30);
      check.addAll(pick(test, Set.of(HELD_OUT), 8000, 100));
      Accuracy before = accuracy(first, 1, test, check);
      System.out.println("version 1: " + before);

      BackgroundLoad.Phase idle;
      BackgroundLoad.Phase during;
      List<Integer> bags = pick(test, Set.of(HELD_OUT), 5000, corrections);
      Set<String> jobs = new TreeSet<>();
      int wrong = 0;
      long nth;
      long correctionsStart;
      long jobDone;
      long trialDone;
      long everywhere;
      JsonNode done;
      JsonNode trial;
      try (BackgroundLoad load = new BackgroundLoad(nodes, MODEL, test, 0, 500, users)) {
        Thread.sleep(15_000);
        load.endPhase();
        Thread.sleep(30_000);
        idle = load.endPhase();
        System.out.println("idle: " + idle.describe());

        correctionsStart = System.nanoTime();
        nth = 0;
        for (int n = 0; n < corrections; n++) {
          byte[] png = LargeDataset.png(test, bags.get(n));
          JsonNode answer = ClusterHttp.classify(nodes.get(n % 3), "/v1/models/" + MODEL + ":classify-image", png);
          wrong += answer.at("/predictions/0/label").asText().equals("bag") ? 0 : 1;
          JsonNode reply =
              ClusterHttp.post(
                  nodes.get((n + 1) % 3) + "/v1/models/" + MODEL + ":feedback",
                  "{\"label\": \"bag\", \"prediction_id\": \"" + answer.get("id").asText() + "\"}",
                  201);
          nth = System.nanoTime();
          if (reply.has("job")) {
            jobs.add(reply.get("job").asText());
          }
          Thread.sleep(100);
        }
        if (jobs.size() != 1) {
          throw new IllegalStateException(corrections + " corrections started jobs " + jobs);
        }
        System.out.printf(Locale.ROOT, "%d corrections in %.1f s started job %s%n",
            corrections, (nth - correctionsStart) / 1e9, jobs);
        done = ClusterHttp.awaitJob(first, jobs.iterator().next(), Duration.ofMinutes(15));
        jobDone = System.nanoTime();
        if (!done.get("state").asText().equals("SUCCEEDED")) {
          throw new IllegalStateException("the continual job failed: " + done);
        }
        String candidate = done.at("/result/version").asText();
        System.out.println("continual job: " + done.at("/result/promotion"));
        trial = awaitTrial(first, candidate);
        trialDone = System.nanoTime();
        System.out.println("trial: " + trial);
        everywhere = 0;
        for (String node : nodes) {
          everywhere = Math.max(everywhere, awaitStable(node, candidate, test));
        }
        during = load.endPhase();
        System.out.println("during the episode: " + during.describe());
      }
      long candidate = done.at("/result/version").asLong();
      Accuracy after = accuracy(first, candidate, test, check);
      System.out.println("version " + candidate + ": " + after);

      // A candidate made worse on purpose: the same images, labels shuffled.
      List<Integer> shuffledImages = pick(train, allBut(HELD_OUT), 0, perClass);
      shuffledImages.addAll(pick(train, Set.of(HELD_OUT), 0, perClass));
      List<String> labels = new ArrayList<>();
      for (int i : shuffledImages) {
        labels.add(NAMES[train.labels()[i]]);
      }
      Collections.shuffle(labels, new Random(7));
      upload(first, "fashion-shuffled", train, shuffledImages, labels);
      JsonNode worse =
          job(nodes.get(1), "{\"base_model\": \"fashion-convnet\", \"target_model\": \"" + MODEL
              + "\", \"dataset\": \"fashion-shuffled\", " + JOB_OPTIONS + "}");
      JsonNode refusal = worse.at("/result/promotion");
      System.out.println("shuffled labels: " + refusal);
      String stableAfter = ClusterHttp.get(first + "/v1/models/" + MODEL + "/labels").at("/labels/stable").asText();

      Instant started = Instant.parse(done.get("started_at").asText());
      Instant finished = Instant.parse(done.get("finished_at").asText());
      Instant created = Instant.parse(done.get("created_at").asText());
      String md =
          String.format(
              Locale.ROOT,
              """
              CPU: %s; 3 server JVMs and the load generator share cores %s.

              | measure | value |
              |---|---|
              | deployed classifier | `%s` v1: linear head on the demo ConvNet's CNN codes, 9 Fashion-MNIST classes x %d training images, bags held out |
              | corrections | %d bags classified on one node (%d of %d answered wrong), each corrected by its prediction id on another node, %.1f s in all, under load |
              | continual jobs started | %d (%s), by correction %d |
              | N-th correction to improved version answering as `stable` on all 3 nodes | **%.1f s** (job queued %.1f s, trained %.1f s; gate and canary trial until promoted %.1f s; until the last node answered %.1f s) |
              | gate | %s |
              | canary trial | %s after %.1f s: candidate %d requests, stable %d requests on 3 nodes |
              | bag recall (%d unseen test bags) | v1 %.1f%% -> v%d %.1f%% |
              | accuracy on the other 9 classes (%d test images) | v1 %.1f%% -> v%d %.1f%% |
              | accuracy on all 10 classes (%d test images) | v1 %.1f%% -> v%d %.1f%% |
              | inference, idle (%d users on 3 nodes, OIP JSON, 1 image) | p50 %.1f ms, p99 %.1f ms, %.0f req/s, %d errors |
              | inference during the episode (%.0f s) | p50 %.1f ms, p99 %.1f ms, %.0f req/s, %d errors; p99 %.2fx idle |
              | candidate trained on shuffled labels | %s: %s; stable stays v%s |
              """,
              Report.cpu(), cores,
              MODEL, perClass,
              corrections, wrong, corrections, (nth - correctionsStart) / 1e9,
              jobs.size(), jobs.iterator().next(), corrections,
              (everywhere - nth) / 1e9,
              Duration.between(created, started).toMillis() / 1000.0,
              Duration.between(started, finished).toMillis() / 1000.0,
              (trialDone - jobDone) / 1e9,
              (everywhere - trialDone) / 1e9,
              done.at("/result/promotion/reason").asText(),
              trial.get("state").asText(), (trialDone - jobDone) / 1e9,
              trial.at("/candidate/requests").asLong(), trial.at("/stable/requests").asLong(),
              after.bags, 100 * before.bagRecall(), candidate, 100 * after.bagRecall(),
              after.others, 100 * before.otherAccuracy(), candidate, 100 * after.otherAccuracy(),
              after.bags + after.others, 100 * before.accuracy(), candidate, 100 * after.accuracy(),
              users, idle.p(50), idle.p(99), idle.requestsPerSecond(), idle.errors(),
              during.seconds(), during.p(50), during.p(99), during.requestsPerSecond(), during.errors(),
              during.p(99) / idle.p(99),
              refusal.get("promoted").asBoolean() ? "PROMOTED (the gate failed)" : "refused",
              refusal.get("reason").asText(), stableAfter);
      System.out.println();
      System.out.print(md);
      Files.writeString(out.resolve("feedback-episode.md"), md);
    }
  }

  /** Correct answers of a version on bags and on the other classes. */
  private record Accuracy(int bags, int bagsRight, int others, int othersRight) {
    double bagRecall() {
      return (double) bagsRight / bags;
    }

    double otherAccuracy() {
      return (double) othersRight / others;
    }

    double accuracy() {
      return (double) (bagsRight + othersRight) / (bags + others);
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "bags %d/%d, others %d/%d", bagsRight, bags, othersRight, others);
    }
  }

  private static Accuracy accuracy(String node, long version, LabelledImages images, List<Integer> indices)
      throws Exception {
    int bags = 0;
    int bagsRight = 0;
    int others = 0;
    int othersRight = 0;
    for (int i : indices) {
      JsonNode answer =
          ClusterHttp.classify(node, "/v1/models/" + MODEL + "/versions/" + version + ":classify-image", LargeDataset.png(images, i));
      boolean right = answer.at("/predictions/0/label").asText().equals(NAMES[images.labels()[i]]);
      if (images.labels()[i] == HELD_OUT) {
        bags++;
        bagsRight += right ? 1 : 0;
      } else {
        others++;
        othersRight += right ? 1 : 0;
      }
    }
    return new Accuracy(bags, bagsRight, others, othersRight);
  }

  /** The trial of {@code candidate} once decided (or none: the gate refused it). */
  private static JsonNode awaitTrial(String node, String candidate) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (System.nanoTime() < deadline) {
      for (JsonNode trial : ClusterHttp.get(node + "/v1/models/" + MODEL + "/rollout").path("trials")) {
        if (trial.get("candidate_version").asText().equals(candidate) && !trial.get("state").asText().equals("running")) {
          return trial;
        }
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("the trial of version " + candidate + " did not end");
  }

  /** When {@code node} first answers a request to the {@code stable} label with {@code version}. */
  private static long awaitStable(String node, String version, LabelledImages images) throws Exception {
    byte[] png = LargeDataset.png(images, 0);
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode answer = ClusterHttp.classify(node, "/v1/models/" + MODEL + "/labels/stable:classify-image", png);
      if (answer.get("model_version").asText().equals(version)) {
        return System.nanoTime();
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException(node + " never answered as stable with version " + version);
  }

  private static Set<Integer> all() {
    Set<Integer> classes = new TreeSet<>();
    for (int c = 0; c < 10; c++) {
      classes.add(c);
    }
    return classes;
  }

  private static Set<Integer> allBut(int held) {
    Set<Integer> classes = all();
    classes.remove(held);
    return classes;
  }

  /** The first {@code perClass} images of each of {@code classes} from index {@code from}. */
  private static List<Integer> pick(LabelledImages images, Set<Integer> classes, int from, int perClass) {
    int[] taken = new int[10];
    List<Integer> picked = new ArrayList<>();
    for (int i = from; i < images.labels().length; i++) {
      int label = images.labels()[i];
      if (classes.contains(label) && taken[label] < perClass) {
        taken[label]++;
        picked.add(i);
      }
    }
    return picked;
  }

  /** Stores images as a dataset (JSON lines of PNGs), labelled by class or by {@code labels}. */
  private static void upload(String node, String name, LabelledImages images, List<Integer> indices, List<String> labels)
      throws Exception {
    StringBuilder lines = new StringBuilder();
    for (int n = 0; n < indices.size(); n++) {
      int i = indices.get(n);
      String label = labels == null ? NAMES[images.labels()[i]] : labels.get(n);
      lines.append("{\"label\": \"").append(label).append("\", \"b64\": \"")
          .append(Base64.getEncoder().encodeToString(LargeDataset.png(images, i))).append("\"}\n");
    }
    ClusterHttp.send("PUT", node + "/v1/datasets/" + name, lines.toString(), "application/x-ndjson", 201);
    System.out.printf(Locale.ROOT, "dataset %s: %d images%n", name, indices.size());
  }

  /** Submits a job and waits for it to succeed. */
  private static JsonNode job(String node, String request) throws Exception {
    JsonNode submitted = ClusterHttp.post(node + "/v1/jobs", request, 202);
    JsonNode done = ClusterHttp.awaitJob(node, submitted.get("id").asText(), Duration.ofMinutes(15));
    if (!done.get("state").asText().equals("SUCCEEDED")) {
      throw new IllegalStateException("job failed: " + done);
    }
    return done;
  }
}
