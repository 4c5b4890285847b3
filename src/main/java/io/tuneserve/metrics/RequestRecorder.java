package io.tuneserve.metrics;

/** Where a finished API request is counted and timed ({@code tuneserve_requests}). */
@FunctionalInterface
public interface RequestRecorder {
  /**
   * @param api the API the request came through
   * @param model the model it named, empty for none
   * @param version the version it named, empty for none
   * @param status its HTTP status, or for a gRPC call the HTTP status its gRPC status stands for
   * @param nanos how long it took, from routing to the reply
   */
  void record(String api, String model, String version, int status, long nanos);
}
