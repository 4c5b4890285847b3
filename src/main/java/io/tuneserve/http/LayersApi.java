package io.tuneserve.http;

import io.tuneserve.model.Layer;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ServedVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /v2/models/{m}[/versions/{v}]/layers}: the layers of a loaded version that could give
 * features (name, tensor, kind, shape, distance from the output), the tensors its features
 * signature reads, and what was done to the model as it loaded, so a user can choose a {@code
 * features.layer} for model.yaml.
 */
final class LayersApi {
  private static final String PATH = "/v2/models" + PathParams.MODEL_AND_VERSION + "/layers";

  private final ModelManager manager;

  LayersApi(ModelManager manager) {
    this.manager = manager;
  }

  void mount(Router router) {
    router.getWithRegex(PATH).handler(this::layers);
  }

  private void layers(RoutingContext ctx) {
    NamedVersion.read(manager, ctx, served -> reply(ctx, served));
  }

  private static void reply(RoutingContext ctx, ServedVersion served) {
    Replies.json(
        ctx,
        200,
        json -> {
          json.writeStartObject();
          json.writeStringField("name", served.name());
          json.writeStringField("version", Long.toString(served.version()));
          json.writeStringField("note", served.loadNote());
          json.writeObjectFieldStart("features");
          SignatureSpec features =
              served.signatures().get(served.settings().featureSource().signature());
          if (features != null) {
            for (TensorSpec output : features.outputs().values()) {
              json.writeStringField(output.name(), output.tensorName());
            }
          }
          json.writeEndObject();
          json.writeArrayFieldStart("layers");
          for (Layer layer : served.layers()) {
            json.writeStartObject();
            json.writeStringField("name", layer.name());
            json.writeStringField("tensor", layer.tensor());
            json.writeStringField("kind", layer.kind());
            json.writeStringField("op", layer.op());
            if (layer.shape() != null) {
              json.writeArrayFieldStart("shape");
              for (long dim : layer.shape()) {
                json.writeNumber(dim);
              }
              json.writeEndArray();
            }
            json.writeNumberField("distance", layer.distance());
            json.writeEndObject();
          }
          json.writeEndArray();
          json.writeEndObject();
        });
  }
}
