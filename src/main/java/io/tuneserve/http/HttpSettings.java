package io.tuneserve.http;

/**
 * @param maxBodyBytes larger request bodies get 413
 * @param maxImagePixels larger images are refused before they are decoded
 */
public record HttpSettings(String host, int port, long maxBodyBytes, long maxImagePixels) {}
