package io.tuneserve.bench;

/** The ways a client can send the same inference request. */
enum Protocol {
  TFS_JSON("TF Serving JSON"),
  OIP_JSON("OIP JSON"),
  OIP_BINARY("OIP binary"),
  WEBSOCKET("WebSocket binary"),
  /** OIP's gRPC ModelInfer with raw_input_contents, over one HTTP/2 connection. */
  GRPC("gRPC ModelInfer"),
  /** Triton's bidirectional ModelStreamInfer, one stream per virtual user. */
  GRPC_STREAM("gRPC ModelStreamInfer"),
  /** TF Serving JSON whose instances are {"b64": JPEG}, decoded by the server. */
  TFS_JPEG("TF Serving JSON, b64 JPEG");

  /** The protocols that carry the same float tensors (every one but the JPEG form). */
  static final java.util.List<Protocol> TENSORS =
      java.util.List.of(TFS_JSON, OIP_JSON, OIP_BINARY, WEBSOCKET, GRPC, GRPC_STREAM);

  final String label;

  Protocol(String label) {
    this.label = label;
  }
}
