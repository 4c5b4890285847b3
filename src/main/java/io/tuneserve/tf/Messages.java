package io.tuneserve.tf;

final class Messages {
  private Messages() {}

  /** The first line of a TensorFlow error message, which names the problem without the trace. */
  static String firstLine(String message) {
    if (message == null) {
      return "unknown error";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
