package io.tuneserve.cli;

import io.tuneserve.config.ConfigException;
import io.tuneserve.config.ConfigLoader;
import io.tuneserve.config.ServerConfig;
import io.tuneserve.server.TuneServer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Starts the server and keeps it running until the process is stopped. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Serves the models of a model repository over HTTP.")
final class ServeCommand implements Callable<Integer> {
  private static volatile boolean serving;

  @Option(
      names = "--config",
      description =
          "YAML configuration file read over the built-in defaults (see conf/tuneserve.yaml).")
  Path config;

  @Option(names = "--port", description = "HTTP port (overrides http.port).")
  Integer port;

  @Option(names = "--host", description = "Address to listen on (overrides http.host).")
  String host;

  @Option(
      names = "--models",
      description = "Model repository directory (overrides models.directory).")
  Path models;

  /** True once a server started: the process then stays up after the command returns. */
  static boolean isServing() {
    return serving;
  }

  @Override
  public Integer call() throws Exception {
    Map<String, Object> overrides = new HashMap<>();
    if (port != null) {
      overrides.put("http.port", port);
    }
    if (host != null) {
      overrides.put("http.host", host);
    }
    if (models != null) {
      overrides.put("models.directory", models.toString());
    }
    ServerConfig serverConfig;
    try {
      serverConfig = new ConfigLoader().load(config, System.getenv(), overrides);
    } catch (ConfigException e) {
      System.err.println("tuneserve: " + e.getMessage());
      return 2;
    }
    TuneServer server = new TuneServer(serverConfig);
    try {
      server.start().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      System.err.println("tuneserve: cannot start: " + e.getCause().getMessage());
      server.close();
      return 1;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  if (java.util.logging.LogManager.getLogManager()
                      instanceof ShutdownLogManager manager) {
                    manager.serverStopped();
                  }
                },
                "tuneserve-shutdown"));
    serving = true;
    return 0;
  }
}
