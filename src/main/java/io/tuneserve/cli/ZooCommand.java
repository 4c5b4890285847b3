package io.tuneserve.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Builds the models of the project's model zoo. */
@Command(
    name = "zoo",
    mixinStandardHelpOptions = true,
    description = "Builds pretrained models for the model zoo.",
    subcommands = {PretrainCommand.class, MobileNetCommand.class})
final class ZooCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand");
  }
}
