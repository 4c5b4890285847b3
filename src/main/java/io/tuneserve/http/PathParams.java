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

  /** Where a request's routing context holds the manager that resolves version labels. */
  static final String MANAGER = "tuneserve.manager";

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

  /** The version the path names, by number or by label; empty when it names neither. */
  static OptionalLong version(RoutingContext ctx) {
    String label = ctx.pathParam("label");
    if (label != null && !label.isEmpty()) {
      ModelManager manager = ctx.get(MANAGER);
      return OptionalLong.of(manager.labelled(model(ctx), label));
    }
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
