package io.tuneserve.grpc;

import io.tuneserve.model.ServingException;
import io.tuneserve.repository.ModelNames;
import java.util.OptionalLong;

/** The model names and version strings gRPC requests carry, checked as the HTTP paths are. */
final class GrpcNames {
  static final String NO_MODEL = "the request names no model";

  private GrpcNames() {}

  /** A model name; {@code missing} is the message when it is empty. */
  static String model(String name, String missing) {
    if (name.isEmpty()) {
      throw ServingException.invalid(missing);
    }
    if (!ModelNames.isValidName(name)) {
      throw ServingException.invalid(
          "model name '" + name + "' may hold only letters, digits, '_', '-' and '.'");
    }
    return name;
  }

  /** A version string: empty for the model's default, else a positive number. */
  static OptionalLong version(String version) {
    if (version.isEmpty()) {
      return OptionalLong.empty();
    }
    if (!ModelNames.isValidVersion(version)) {
      throw ServingException.invalid("version '" + version + "' is not a positive integer");
    }
    return OptionalLong.of(Long.parseLong(version));
  }
}
