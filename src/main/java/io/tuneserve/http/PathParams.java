package io.tuneserve.http;

import io.tuneserve.model.ServingException;
import io.tuneserve.repository.ModelNames;
import io.tuneserve.serving.ModelManager;
import io.vertx.ext.web.RoutingContext;
import java.util.OptionalLong;

/** The model and version named in a request path, checked before anything uses them. */
final class PathParams {
  static final String MODEL_AND_VERSION =
      "/(?<model>[^/:]+)(?:/versions/(?<version>[^/:]+)|/labels/(?<label>[^/:]+))?";

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

  /** The version the path names, by number or by a label {@code manager} resolves. */
  static OptionalLong version(RoutingContext ctx, ModelManager manager) {
    String label = ctx.pathParam("label");
    if (label != null && !label.isEmpty()) {
      return OptionalLong.of(manager.labelled(model(ctx), label));
    }
    return version(ctx);
  }

  /** The version the path names by number; empty when it names none. */
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
