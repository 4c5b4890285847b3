package io.tuneserve.dataset;

import java.io.IOException;

/** Takes the examples of an upload, one at a time, as a parser finds them. */
@FunctionalInterface
public interface ExampleSink {
  /**
   * @param source how the user knows the example (an archive entry, a line, a form field), for
   *     messages
   */
  void add(String label, String source, byte[] image) throws IOException;
}
