package io.tuneserve.http;

import io.tuneserve.model.ServingException;
import io.tuneserve.repository.ModelNames;
import io.vertx.ext.web.RoutingContext;
import java.util.OptionalLong;

/** The model and version named in a request path, checked before anything uses them. */
final class PathParams {
  static final String MODEL_AND_VERSION = "/(?<model>[^/:]+)(?:/versions/(?<version>[^/:]+))?";

  private PathParams() {}

  static String model(RoutingContext ctx) {
    String model = ctx.pathParam("model");
    if (!ModelNames.isValidName(model)) {
      throw ServingException.invalid(
          "Malformed request: model name '"
              + model
              + "' may hold only letters, digits, '_', '-' and '.'");
    }
    return model;
  }

  static OptionalLong version(RoutingContext ctx) {
    String version = ctx.pathParam("version");
    if (version == null || version.isEmpty()) {
      return OptionalLong.empty();
    }
    if (!ModelNames.isValidVersion(version)) {
      throw ServingException.invalid(
          "Malformed request: version '" + version + "' is not a positive integer");
    }
    return OptionalLong.of(Long.parseLong(version));
  }
}
