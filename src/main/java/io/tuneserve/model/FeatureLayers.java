package io.tuneserve.model;

/**
 * Where a model's CNN codes come from, as its settings say.
 *
 * @param signature the signature that gives them (its outputs {@code features} and, when known,
 *     {@code earlier})
 * @param layer the layer (name or tensor) of the top-layer codes; null to take the model's own
 *     signature, or, when it has none, the activation feeding its final classification layer
 * @param earlierLayer the layer of the earlier-layer codes; null for the automatic choice
 */
public record FeatureLayers(String signature, String layer, String earlierLayer) {
  public static final String TOP = "features";
  public static final String EARLIER = "earlier";

  public static FeatureLayers automatic() {
    return new FeatureLayers(TOP, null, null);
  }
}
