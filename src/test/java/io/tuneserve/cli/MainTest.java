package io.tuneserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
  private record Run(int exitCode, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine command = new CommandLine(new Main());
    command.setOut(new PrintWriter(out));
    command.setErr(new PrintWriter(err));
    int exitCode = command.execute(args);
    return new Run(exitCode, out.toString(), err.toString());
  }

  @Test
  void everyCommandPrintsItsUsage() {
    assertThat(run("--help").out()).contains("serve", "zoo");
    Run serve = run("serve", "--help");
    assertThat(serve.exitCode()).isZero();
    assertThat(serve.out()).contains("--config", "--port", "--models");
    Run pretrain = run("zoo", "pretrain", "--help");
    assertThat(pretrain.exitCode()).isZero();
    assertThat(pretrain.out()).contains("--out", "--epochs");
  }

  @Test
  void badFlagsSayWhatIsWrong() {
    Run unknown = run("serve", "--prot", "9000");
    assertThat(unknown.exitCode()).isNotZero();
    assertThat(unknown.err()).contains("Unknown options: '--prot'");
    Run notNumber = run("serve", "--port", "abc");
    assertThat(notNumber.exitCode()).isNotZero();
    assertThat(notNumber.err()).contains("'abc' is not an int");
    Run missing = run("zoo", "pretrain");
    assertThat(missing.exitCode()).isNotZero();
    assertThat(missing.err()).contains("Missing required option: '--out=<out>'");
    assertThat(run().exitCode()).isNotZero();
  }

  @Test
  void invalidConfigurationStopsTheServerFromStarting() {
    Run run = run("serve", "--config", "/nonexistent.yaml");
    assertThat(run.exitCode()).isEqualTo(2);
  }
}
