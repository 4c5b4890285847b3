package io.tuneserve.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Moderate load for minutes while sampling the server's RSS and heap; reports the drift. */
final class Soak {
  private Soak() {}

  /** RSS and heap samples after warm-up, and the drift between the first and last third. */
  record Result(
      double minutes,
      List<long[]> samples,
      double rssDrift,
      double heapDrift,
      long requests,
      long errors,
      Map<String, Long> failures) {
    String markdownRow() {
      return String.format(
          Locale.ROOT,
          "| RSS drift over a %.0f-minute soak after warm-up (heap drift %.1f%%; %d requests) | %.1f%%, %d failed | within +-10%%, none failed | %s |%n",
          minutes, heapDrift * 100, requests, rssDrift * 100, errors,
          Math.abs(rssDrift) <= 0.10 && errors == 0 ? "yes" : "**no**");
    }

    /** What the failed requests were, one line per kind, or empty when none failed. */
    String failureNote() {
      StringBuilder note = new StringBuilder();
      failures.forEach(
          (kind, count) -> note.append(String.format(Locale.ROOT, "- %d x %s%n", count, kind)));
      return note.isEmpty() ? "" : "Failed soak requests by kind:\n\n" + note;
    }
  }

  static Result run(ServerProcess server, LoadRunner runner, Payloads payloads, double rate, double minutes)
      throws Exception {
    List<long[]> samples = new ArrayList<>();
    HttpClient http = HttpClient.newHttpClient();
    long requests = 0;
    long errors = 0;
    Map<String, Long> failures = new TreeMap<>();
    int periods = (int) Math.max(6, minutes * 6);
    double periodSeconds = minutes * 60 / periods;
    for (int i = 0; i < periods; i++) {
      StepResult step = runner.openLoop("soak", Protocol.OIP_BINARY, payloads, rate, periodSeconds, 64);
      requests += step.requests();
      errors += step.errors();
      step.failures().forEach((kind, count) -> failures.merge(kind, count, Long::sum));
      long rss = server.rssBytes();
      long heap = heapUsed(http, runner);
      samples.add(new long[] {i, rss, heap});
      System.out.printf(Locale.ROOT, "   soak %d/%d: RSS %d MB, heap %d MB%n", i + 1, periods, rss >> 20, heap >> 20);
    }
    int third = samples.size() / 3;
    double rssDrift = drift(samples, 1, third);
    double heapDrift = drift(samples, 2, third);
    return new Result(minutes, samples, rssDrift, heapDrift, requests, errors, failures);
  }

  private static double drift(List<long[]> samples, int column, int third) {
    double early = samples.subList(third, 2 * third).stream().mapToLong(s -> s[column]).average().orElse(0);
    double late = samples.subList(2 * third, samples.size()).stream().mapToLong(s -> s[column]).average().orElse(0);
    return early == 0 ? 0 : (late - early) / early;
  }

  private static long heapUsed(HttpClient http, LoadRunner runner) throws IOException, InterruptedException {
    String metrics =
        http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + runner.port() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    Matcher matcher = Pattern.compile("(?m)^jvm_memory_used_bytes\\{area=\"heap\",[^}]*} (\\S+)").matcher(metrics);
    double total = 0;
    while (matcher.find()) {
      total += Double.parseDouble(matcher.group(1));
    }
    return (long) total;
  }
}
