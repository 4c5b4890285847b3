package io.tuneserve.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tuneserve} command line. */
@Command(
    name = "tuneserve",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Serves TensorFlow models over HTTP and fine-tunes them online.",
    subcommands = {ServeCommand.class, ZooCommand.class})
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand");
  }

  public static void main(String[] args) {
    // Keeps logging alive through the server's graceful shutdown (set before anything logs).
    if (System.getProperty("java.util.logging.manager") == null) {
      System.setProperty("java.util.logging.manager", ShutdownLogManager.class.getName());
    }
    // Vert.x's own DNS resolver opens a UDP socket to the system nameserver; the JDK's resolver
    // answers for loopback and cluster names without it.
    if (System.getProperty("vertx.disableDnsResolver") == null) {
      System.setProperty("vertx.disableDnsResolver", "true");
    }
    int exitCode = new CommandLine(new Main()).execute(args);
    if (exitCode != 0 || !ServeCommand.isServing()) {
      System.exit(exitCode);
    }
  }
}
