package io.tuneserve.bench;

/** The ways a client can send the same inference request. */
enum Protocol {
  TFS_JSON("TF Serving JSON"),
  OIP_JSON("OIP JSON"),
  OIP_BINARY("OIP binary"),
  WEBSOCKET("WebSocket binary");

  final String label;

  Protocol(String label) {
    this.label = label;
  }
}
