package io.tuneserve.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.tuneserve.feedback.ContinualPolicy;
import io.tuneserve.feedback.FeedbackState;
import io.tuneserve.feedback.FeedbackStore;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Continual settings mirrored on every node; feedback state per model, the sha256 of every feedback
 * image (for deduplication) and recent predictions (expiring) in plain maps.
 */
final class HazelcastFeedback implements FeedbackStore {
  private final MirroredMap<ContinualPolicy> policies;
  private final MirroredMap<FeedbackState> states;
  private final IMap<String, String> images;
  private final IMap<String, String> predictions;

  HazelcastFeedback(HazelcastInstance hazelcast) {
    this.policies = new MirroredMap<>(hazelcast, "tuneserve.continual", ContinualPolicy.class);
    this.states = new MirroredMap<>(hazelcast, "tuneserve.feedback-state", FeedbackState.class);
    this.images = hazelcast.getMap("tuneserve.feedback-images");
    this.predictions = hazelcast.getMap("tuneserve.predictions");
  }

  @Override
  public Optional<ContinualPolicy> policy(String model) {
    return policies.get(model);
  }

  @Override
  public Map<String, ContinualPolicy> policies() {
    return policies.all();
  }

  @Override
  public void setPolicy(String model, ContinualPolicy policy) {
    policies.put(model, policy);
  }

  @Override
  public boolean removePolicy(String model) {
    return policies.remove(model).isPresent();
  }

  @Override
  public boolean addImage(String model, String sha256) {
    return images.putIfAbsent(model + "/" + sha256, "") == null;
  }

  @Override
  public void removeImage(String model, String sha256) {
    images.delete(model + "/" + sha256);
  }

  @Override
  public FeedbackState state(String model) {
    return states.get(model).orElse(FeedbackState.NONE);
  }

  @Override
  public FeedbackState update(String model, UnaryOperator<FeedbackState> change) {
    FeedbackState[] after = new FeedbackState[1];
    states.update(
        model,
        before -> {
          after[0] = change.apply(before == null ? FeedbackState.NONE : before);
          return after[0];
        });
    return after[0];
  }

  @Override
  public CompletionStage<Void> keepPrediction(String id, Prediction prediction, Duration ttl) {
    ObjectNode json = MirroredMap.json().createObjectNode();
    json.put("model", prediction.model());
    json.put("version", prediction.version());
    json.put("image", Base64.getEncoder().encodeToString(prediction.image()));
    return predictions.setAsync(id, json.toString(), ttl.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public Optional<Prediction> prediction(String id) {
    String text = predictions.get(id);
    if (text == null) {
      return Optional.empty();
    }
    try {
      JsonNode json = MirroredMap.json().readTree(text);
      return Optional.of(
          new Prediction(
              json.get("model").asText(),
              json.get("version").asLong(),
              Base64.getDecoder().decode(json.get("image").asText())));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
