package io.tuneserve.http;

/**
 * Settings of the HTTP front.
 *
 * @param maxBodyBytes larger request bodies get 413
 * @param maxImagePixels larger images are refused before they are decoded
 * @param maxInFlightPerSocket requests of one WebSocket in the server at once; past it the socket
 *     is not read
 * @param maxTrainingExamples labelled examples one fine-tuning job may upload
 * @param maxUploadBytes larger dataset uploads get 413
 * @param tokens bearer tokens accepted by the guarded APIs; empty: no guard
 * @param protectInference whether inference needs a token too
 * @param tlsCertFile PEM certificate chain for HTTPS, or blank for plain HTTP
 * @param tlsKeyFile its PEM private key
 */
public record HttpSettings(
    String host,
    int port,
    long maxBodyBytes,
    long maxImagePixels,
    int maxInFlightPerSocket,
    int maxTrainingExamples,
    long maxUploadBytes,
    java.util.Set<String> tokens,
    boolean protectInference,
    String tlsCertFile,
    String tlsKeyFile) {}
