package io.tuneserve.testing;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A tuneserve node in a JVM process of its own ({@code Main serve} on this test class path), so a
 * test can kill it with SIGKILL. Its log goes to a file, shown when it does not get ready.
 */
public final class NodeProcess implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final NodeClient client;
  private final Path models;

  private NodeProcess(Process process, Path log, int port, Path models) {
    this.process = process;
    this.log = log;
    this.client = new NodeClient(port);
    this.models = models;
  }

  /**
   * Starts a node over {@code models} (created if missing) with the given configuration keys set
   * through TUNESERVE_* environment variables.
   */
  public static NodeProcess start(Path models, Map<String, Object> settings) throws IOException {
    return start(models, settings, 0);
  }

  /**
   * Starts a node whose process may write no file larger than {@code maxFileMegabytes} (a quota
   * standing in for a full disk; 0 = no limit).
   */
  public static NodeProcess start(Path models, Map<String, Object> settings, int maxFileMegabytes)
      throws IOException {
    Files.createDirectories(models);
    int port = TestServer.freePort();
    Path log = Files.createTempFile("tuneserve-node", ".log");
    List<String> command = new ArrayList<>();
    if (maxFileMegabytes > 0) {
      // ulimit -f counts 512-byte blocks in POSIX sh.
      command.addAll(
          List.of("sh", "-c", "ulimit -f " + maxFileMegabytes * 2048 + " && exec \"$0\" \"$@\""));
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx768m");
    for (String argument : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (argument.startsWith("--add-") || argument.startsWith("-Dvertx.")) {
        command.add(argument);
      }
    }
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            "io.tuneserve.cli.Main",
            "serve",
            "--port",
            Integer.toString(port),
            "--models",
            models.toString()));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    settings.forEach(
        (key, value) ->
            builder
                .environment()
                .put("TUNESERVE_" + key.toUpperCase().replace(".", "__"), value.toString()));
    return new NodeProcess(builder.start(), log, port, models);
  }

  public NodeClient client() {
    return client;
  }

  public Path models() {
    return models;
  }

  /** Waits until the node answers ready; fails with its log if it does not in time. */
  public NodeProcess awaitReady(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("node exited:\n" + Files.readString(log));
      }
      try {
        if (client.get("/v2/health/ready").statusCode() == 200) {
          return this;
        }
      } catch (IOException notListening) {
        // not yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("node not ready in " + timeout + ":\n" + Files.readString(log));
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** kill -9: no shutdown hook runs, the node just disappears. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** SIGTERM: the node shuts down gracefully. */
  public void terminate() {
    process.destroy();
  }

  /** Waits for the process to end; returns its exit code. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
      throw new AssertionError("the node did not exit in " + timeout);
    }
    return process.exitValue();
  }

  public String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws IOException, InterruptedException {
    process.destroy();
    if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
    Files.deleteIfExists(log);
    TestServer.deleteTree(models);
  }
}
