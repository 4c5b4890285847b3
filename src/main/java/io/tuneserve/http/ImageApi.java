package io.tuneserve.http;

import io.tuneserve.image.ImageDecoder;
import io.tuneserve.inference.DecodedRequest;
import io.tuneserve.inference.InferenceResult;
import io.tuneserve.inference.InferenceService;
import io.tuneserve.model.RequestScope;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.repository.ModelSettings;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ModelView;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code POST /v1/models/{m}[/versions/{v}]:classify-image}: a raw PNG or JPEG body in, the top-k
 * labels with their scores out, for models whose model.yaml declares image preprocessing.
 */
final class ImageApi {
  static final String API = "image";
  private static final String PATH =
      "/v1/models" + PathParams.MODEL_AND_VERSION + ":classify-image";
  private static final int DEFAULT_TOP_K = 5;

  private final InferenceService inference;
  private final ModelManager manager;
  private final long maxImagePixels;
  private final io.tuneserve.feedback.FeedbackStore feedback;

  /** How long the image of a prediction is held for feedback to name it. */
  private static final java.time.Duration PREDICTIONS_KEPT = java.time.Duration.ofMinutes(15);

  ImageApi(
      InferenceService inference,
      ModelManager manager,
      long maxImagePixels,
      io.tuneserve.feedback.FeedbackStore feedback) {
    this.feedback = feedback;
    this.inference = inference;
    this.manager = manager;
    this.maxImagePixels = maxImagePixels;
  }

  void mount(Router router) {
    router.postWithRegex(PATH).handler(this::classify);
    router
        .routeWithRegex(PATH)
        .handler(ctx -> Replies.error(ctx, 405, "use POST with an image/png or image/jpeg body"));
  }

  private void classify(RoutingContext ctx) {
    String model = PathParams.model(ctx);
    OptionalLong version = PathParams.version(ctx, manager);
    int topK = topK(ctx.queryParam("top_k"));
    Buffer body = RawBody.of(ctx);
    if (body == null || body.length() == 0) {
      throw ServingException.invalid("the body is empty; send the PNG or JPEG bytes as the body");
    }
    byte[] image = body.getBytes();
    RequestScope scope = RequestScopes.of(ctx);
    Calls.start(
            ctx, true, () -> inference.infer(model, version, view -> decode(view, image), scope))
        .compose(result -> keep(ctx, model, result, image).map(id -> encode(result, topK, id)))
        .onSuccess(reply -> Replies.send(ctx, 200, reply))
        .onFailure(ctx::fail);
  }

  private static int topK(List<String> values) {
    if (values.isEmpty()) {
      return DEFAULT_TOP_K;
    }
    try {
      int k = Integer.parseInt(values.get(0));
      if (k >= 1) {
        return k;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw ServingException.invalid("top_k must be a positive integer, got '" + values.get(0) + "'");
  }

  private DecodedRequest decode(ModelView view, byte[] image) {
    return imageRequest(
        view,
        maxImagePixels,
        decoder -> {
          TensorData pixels = decoder.decode(image);
          long[] shape = pixels.shape();
          long[] batch = {1, shape[0], shape[1], shape[2]};
          return TensorData.ofRaw(pixels.dtype(), batch, pixels.raw());
        });
  }

  /**
   * A request of the version's image signature for a batch {@code [n, height, width, channels]}
   * that {@code images} decodes with the decoder the version's model.yaml describes, asking for its
   * class scores.
   */
  static DecodedRequest imageRequest(
      ModelView view, long maxImagePixels, Function<ImageDecoder, TensorData> images) {
    ModelSettings.ImageInput settings = imageSettings(view);
    SignatureSpec signature = view.signature(settings.signature());
    TensorSpec input = signature.inputs().get(settings.input());
    if (input == null || signature.inputs().size() != 1) {
      throw ServingException.invalid(
          "model "
              + view.name()
              + ": image input '"
              + settings.input()
              + "' must be the only input of signature "
              + signature.key());
    }
    TensorData tensor = images.apply(new ImageDecoder(settings, input.dtype(), maxImagePixels));
    return new DecodedRequest(
        signature.key(), Map.of(input.name(), tensor), Set.of(settings.scoresOutput(signature)));
  }

  private static ModelSettings.ImageInput imageSettings(ModelView view) {
    ModelSettings.ImageInput settings = view.settings().image();
    if (settings == null) {
      throw ServingException.invalid(
          "model "
              + view.name()
              + " has no image preprocessing: its serving input is not [batch, height, width, 1"
              + " or 3] of known size, and its model.yaml has no 'image' section saying what it"
              + " is");
    }
    return settings;
  }

  /**
   * Holds the image of a prediction where the model's continual settings ask for it, so feedback
   * can name it on any node; its id once held, or null.
   */
  private Future<String> keep(
      RoutingContext ctx, String model, InferenceResult result, byte[] image) {
    if (!feedback.policy(model).map(p -> p.keepPredictions()).orElse(false)) {
      return Future.succeededFuture(null);
    }
    String id = java.util.UUID.randomUUID().toString();
    return Future.fromCompletionStage(
            feedback.keepPrediction(
                id,
                new io.tuneserve.feedback.FeedbackStore.Prediction(
                    model, result.version().version(), image),
                PREDICTIONS_KEPT),
            ctx.vertx().getOrCreateContext())
        .map(held -> id);
  }

  private static Buffer encode(InferenceResult result, int topK, String id) {
    TensorData scores = result.outputs().values().iterator().next();
    int classes = Math.toIntExact(scores.elementCount());
    List<Integer> order = new ArrayList<>(classes);
    for (int i = 0; i < classes; i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingDouble((Integer i) -> -scores.doubleAt(i)));
    List<String> labels = result.version().settings().labels();
    return Replies.encode(
        json -> {
          json.writeStartObject();
          json.writeStringField("model_name", result.version().name());
          json.writeStringField("model_version", Long.toString(result.version().version()));
          if (id != null) {
            json.writeStringField("id", id);
          }
          json.writeArrayFieldStart("predictions");
          for (int rank = 0; rank < Math.min(topK, classes); rank++) {
            int index = order.get(rank);
            json.writeStartObject();
            json.writeNumberField("index", index);
            json.writeStringField(
                "label", index < labels.size() ? labels.get(index) : Integer.toString(index));
            json.writeNumberField("score", scores.doubleAt(index));
            json.writeEndObject();
          }
          json.writeEndArray();
          json.writeEndObject();
        });
  }
}
