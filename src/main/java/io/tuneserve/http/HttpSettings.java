package io.tuneserve.http;

/**
 * Settings of the HTTP front.
 *
 * @param maxBodyBytes larger request bodies get 413
 * @param maxImagePixels larger images are refused before they are decoded
 */
public record HttpSettings(String host, int port, long maxBodyBytes, long maxImagePixels) {}
