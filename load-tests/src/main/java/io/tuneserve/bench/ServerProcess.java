package io.tuneserve.bench;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A process under test (tuneserve or a peer) pinned to given cores, stopped on close. */
final class ServerProcess implements AutoCloseable {
  private final Process process;
  private final String name;

  private ServerProcess(String name, Process process) {
    this.name = name;
    this.process = process;
  }

  /** Starts {@code command} under {@code taskset -c cores}, its output in {@code log}. */
  static ServerProcess start(String name, String cores, List<String> command, Map<String, String> env, Path log)
      throws IOException {
    List<String> pinned = new ArrayList<>(List.of("taskset", "-c", cores));
    pinned.addAll(command);
    ProcessBuilder builder = new ProcessBuilder(pinned).redirectErrorStream(true).redirectOutput(log.toFile());
    // A cluster of its own, so a benchmark never joins (or is joined by) another tuneserve here.
    builder.environment().put("TUNESERVE_CLUSTER__NAME", "bench-" + java.util.UUID.randomUUID());
    builder.environment().putAll(env);
    return new ServerProcess(name, builder.start());
  }

  /** Waits until {@code url} answers 200; stops the process if it does not. */
  ServerProcess awaitReady(String url, Duration timeout) throws Exception {
    try {
      return pollReady(url, timeout);
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  private ServerProcess pollReady(String url, Duration timeout) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue());
      }
      try {
        HttpResponse<Void> response =
            client.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return this;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(name + " not ready after " + timeout);
  }

  /** Resident set size in bytes, from /proc. */
  long rssBytes() throws IOException {
    for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }

  long pid() {
    return process.pid();
  }

  static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static String classPath() {
    return System.getProperty("java.class.path").replace(File.pathSeparatorChar, ':');
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
