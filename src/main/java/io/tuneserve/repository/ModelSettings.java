package io.tuneserve.repository;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

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
   * channels, and mapped to {@code pixel * scale + offset}.
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
      if (height < 1 || width < 1) {
        throw new IllegalArgumentException("image height and width must be positive");
      }
      if (channels != 1 && channels != 3) {
        throw new IllegalArgumentException("image channels must be 1 or 3, got " + channels);
      }
      if (input == null || input.isBlank()) {
        throw new IllegalArgumentException("image input must name the signature input");
      }
      signature = signature == null ? "serving_default" : signature;
      scale = scale == null ? 1.0 / 255 : scale;
      offset = offset == null ? 0.0 : offset;
    }
  }

  /** The signature and output that give a model's feature vector. */
  public record FeatureSource(
      @JsonProperty("signature") String signature,
      @JsonProperty("output") String output,
      @JsonProperty("earlier_output") String earlierOutput) {

    /** Fills what is not given: signature and output {@code features}, no earlier output. */
    public FeatureSource {
      signature = signature == null ? "features" : signature;
      output = output == null ? "features" : output;
    }
  }

  /** Where the CNN codes come from; {@code features}/{@code features} when model.yaml is silent. */
  public FeatureSource featureSource() {
    return features == null ? new FeatureSource(null, null, null) : features;
  }
}
