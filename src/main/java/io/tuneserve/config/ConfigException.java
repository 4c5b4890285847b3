package io.tuneserve.config;

/** The configuration is missing, unreadable or invalid; the message says which key and why. */
public class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
