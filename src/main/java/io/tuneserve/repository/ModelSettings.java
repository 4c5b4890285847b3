package io.tuneserve.repository;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.tuneserve.model.FeatureLayers;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorSpec;
import java.util.List;
import java.util.Map;

/**
 * The optional {@code model.yaml} of a model directory. Every field may be omitted.
 *
 * @param versionPolicy which versions to serve (default: the latest one)
 * @param batching overrides of the server's batching settings for this model
 * @param labels class names in the order of the classifier's output units
 * @param image how PNG/JPEG input becomes the input tensor
 * @param features where the CNN codes come from
 * @param inputShapeCheck whether request shapes must match the graph's declared input shapes
 */
public record ModelSettings(
    @JsonProperty("version_policy") VersionPolicySettings versionPolicy,
    @JsonProperty("batching") BatchingOverrides batching,
    @JsonProperty("labels") List<String> labels,
    @JsonProperty("image") ImageInput image,
    @JsonProperty("features") FeatureSource features,
    @JsonProperty("input_shape_check") ShapeCheck inputShapeCheck) {

  public static final ModelSettings DEFAULT = new ModelSettings(null, null, null, null, null, null);

  public ModelSettings {
    labels = labels == null ? List.of() : List.copyOf(labels);
    inputShapeCheck = inputShapeCheck == null ? ShapeCheck.INFERRED : inputShapeCheck;
  }

  /**
   * How request shapes the graph does not declare are checked before they reach TensorFlow. Some
   * kernels abort the whole process on a tensor of a rank they were not written for, so a shape is
   * never passed through unchecked by default.
   */
  public enum ShapeCheck {
    /**
     * A shape the graph declares is taken; any other is taken only if TensorFlow's shape inference
     * finds that the signature's graph can compute on it (TF Serving's answers, safely).
     */
    @JsonProperty("inferred")
    INFERRED,
    /** Rank and every known dimension must match the graph's declared shape. */
    @JsonProperty("strict")
    STRICT,
    /** Any shape is passed to TensorFlow, as TF Serving does. */
    @JsonProperty("none")
    NONE
  }

  /**
   * These settings for a loaded version with these signatures: the image preprocessing completed
   * from the signature (and inferred entirely when model.yaml has no {@code image} section), or
   * none when the signature does not say what it would be.
   */
  public ModelSettings forVersion(Map<String, SignatureSpec> signatures) {
    ImageInput given = image == null ? ImageInput.inferred() : image;
    return new ModelSettings(
        versionPolicy, batching, labels, given.completedBy(signatures), features, inputShapeCheck);
  }

  /** These settings with other class names, for a version trained on other classes. */
  public ModelSettings withLabels(List<String> classNames) {
    return new ModelSettings(versionPolicy, batching, classNames, image, features, inputShapeCheck);
  }

  public VersionPolicy policy() {
    return versionPolicy == null ? new VersionPolicy.Latest(1) : versionPolicy.toPolicy();
  }

  /** One of {@code latest: N}, {@code all: true}, {@code specific: [..]}. */
  public record VersionPolicySettings(
      @JsonProperty("latest") Integer latest,
      @JsonProperty("all") Boolean all,
      @JsonProperty("specific") List<Long> specific) {

    VersionPolicy toPolicy() {
      int given =
          (latest != null ? 1 : 0)
              + (Boolean.TRUE.equals(all) ? 1 : 0)
              + (specific != null ? 1 : 0);
      if (given != 1) {
        throw new IllegalArgumentException(
            "version_policy needs exactly one of latest, all: true, specific");
      }
      if (latest != null) {
        return new VersionPolicy.Latest(latest);
      }
      if (specific != null) {
        return VersionPolicy.Specific.of(specific);
      }
      return new VersionPolicy.All();
    }
  }

  /** Per-model batching settings; null fields take the server's values. */
  public record BatchingOverrides(
      @JsonProperty("enabled") Boolean enabled,
      @JsonProperty("max_batch_size") Integer maxBatchSize,
      @JsonProperty("max_queue_delay_ms") Double maxQueueDelayMs,
      @JsonProperty("max_queued_requests") Integer maxQueuedRequests) {}

  /**
   * Image preprocessing: decoded pixels are resized to height x width, converted to the number of
   * channels, and mapped to {@code pixel * scale + offset}. What model.yaml leaves out (input,
   * height, width, channels, output) is taken from the model's signature when the version loads;
   * height and width stay 0 (images at the size they decode to) for a model whose input leaves them
   * open.
   */
  public record ImageInput(
      @JsonProperty("signature") String signature,
      @JsonProperty("input") String input,
      @JsonProperty("output") String output,
      @JsonProperty("height") int height,
      @JsonProperty("width") int width,
      @JsonProperty("channels") int channels,
      @JsonProperty("scale") Double scale,
      @JsonProperty("offset") Double offset) {

    public ImageInput {
      // 0 x 0 once completed: the model takes any size, and images keep the size they decode to.
      if (height < 0 || width < 0) {
        throw new IllegalArgumentException(
            "image height and width must be positive (or left out to take the model's)");
      }
      if (channels != 0 && channels != 1 && channels != 3) {
        throw new IllegalArgumentException("image channels must be 1 or 3, got " + channels);
      }
      if (input != null && input.isBlank()) {
        throw new IllegalArgumentException("image input must name the signature input");
      }
      signature = signature == null ? SignatureSpec.DEFAULT_KEY : signature;
      scale = scale == null ? 1.0 / 255 : scale;
      offset = offset == null ? 0.0 : offset;
    }

    /** The signature output of class scores: the named one, or the signature's only output. */
    public String scoresOutput(io.tuneserve.model.SignatureSpec signature) {
      if (output != null) {
        return output;
      }
      if (signature.outputs().size() == 1) {
        return signature.outputs().keySet().iterator().next();
      }
      throw io.tuneserve.model.ServingException.invalid(
          "model.yaml must name the image output among " + signature.outputs().keySet());
    }

    /** Preprocessing with nothing given: everything from the model, pixels scaled to [0, 1]. */
    static ImageInput inferred() {
      return new ImageInput(null, null, null, 0, 0, 0, null, null);
    }

    /**
     * This preprocessing with what it leaves out taken from the model's signature (one input of
     * shape {@code [batch, height, width, 1 or 3]}, one {@code [batch, classes]} output), or null
     * when the signature does not say.
     */
    ImageInput completedBy(Map<String, SignatureSpec> signatures) {
      SignatureSpec spec = signatures.get(signature);
      if (spec == null) {
        return null;
      }
      String name = input;
      if (name == null && spec.inputs().size() == 1) {
        name = spec.inputs().keySet().iterator().next();
      }
      TensorSpec tensor = name == null ? null : spec.inputs().get(name);
      if (tensor == null) {
        return null;
      }
      long[] shape = tensor.unknownRank() ? new long[0] : tensor.shape();
      boolean image = shape.length == 4;
      int h = height > 0 ? height : image && shape[1] > 0 ? Math.toIntExact(shape[1]) : 0;
      int w = width > 0 ? width : image && shape[2] > 0 ? Math.toIntExact(shape[2]) : 0;
      int c =
          channels > 0 ? channels : image && (shape[3] == 1 || shape[3] == 3) ? (int) shape[3] : 0;
      // A model whose input leaves height and width open (one that resizes in its graph) takes
      // images at the size they decode to, unless model.yaml names one.
      boolean anySize = image && shape[1] < 0 && shape[2] < 0 && height == 0 && width == 0;
      if (c == 0 || (!anySize && (h == 0 || w == 0))) {
        return null;
      }
      String scores = output;
      if (scores == null) {
        scores =
            spec.outputs().values().stream()
                .filter(o -> !o.unknownRank() && o.shape().length == 2)
                .map(TensorSpec::name)
                .findFirst()
                .orElse(null);
      }
      return new ImageInput(signature, name, scores, h, w, c, scale, offset);
    }
  }

  /**
   * The signature and outputs that give a model's feature vectors, and optionally the layers they
   * are taken from.
   *
   * @param layer the layer (a name from the model's layer list, or a tensor) of the top-layer
   *     codes; when given, the signature is made from it rather than read from the model
   * @param earlierLayer the layer of the earlier-layer codes (with {@code layer})
   */
  public record FeatureSource(
      @JsonProperty("signature") String signature,
      @JsonProperty("output") String output,
      @JsonProperty("earlier_output") String earlierOutput,
      @JsonProperty("layer") String layer,
      @JsonProperty("earlier_layer") String earlierLayer) {

    /**
     * Fills what is not given: signature and output {@code features}; the earlier output {@code
     * earlier} when the signature is made from the model's layers.
     */
    public FeatureSource {
      signature = signature == null ? FeatureLayers.TOP : signature;
      output = output == null ? FeatureLayers.TOP : output;
      if (earlierLayer != null && layer == null) {
        throw new IllegalArgumentException("features.earlier_layer needs features.layer");
      }
    }

    /** The layers the loader makes the signature from. */
    public FeatureLayers layers() {
      return new FeatureLayers(signature, layer, earlierLayer);
    }

    /**
     * The earlier-layer output: the one named, else {@code earlier} when the signature has it (one
     * made from the model's layers), else none.
     */
    public String earlierOutputAmong(java.util.Set<String> outputs) {
      if (earlierOutput != null) {
        return earlierOutput;
      }
      return outputs.contains(FeatureLayers.EARLIER) ? FeatureLayers.EARLIER : null;
    }
  }

  /** Where the CNN codes come from; {@code features}/{@code features} when model.yaml is silent. */
  public FeatureSource featureSource() {
    return features == null ? new FeatureSource(null, null, null, null, null) : features;
  }
}
