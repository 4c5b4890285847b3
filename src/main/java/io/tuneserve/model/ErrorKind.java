package io.tuneserve.model;

/** The few ways a serving call can fail; each maps to one status code at the edge. */
public enum ErrorKind {
  /** The request itself is wrong: bad JSON, wrong dtype or shape, unknown input. */
  INVALID_ARGUMENT,
  /** The model, version or signature does not exist. */
  NOT_FOUND,
  /** The model exists but no version is ready to serve, or the server is draining. */
  UNAVAILABLE,
  /** The request contradicts the current state (deleting a version others depend on). */
  CONFLICT,
  /** The request's own timeout passed before it ran. */
  DEADLINE_EXCEEDED,
  /** A queue is full: the client should back off and retry. */
  OVERLOADED,
  /** A fault of the server or the model, not of the request. */
  INTERNAL
}
