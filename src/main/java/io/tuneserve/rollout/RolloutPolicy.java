package io.tuneserve.rollout;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.tuneserve.config.JsonSettings;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a model's candidate versions get before they may become {@code stable}: nothing more than
 * the accuracy check ({@code none}), a share of unlabelled traffic ({@code canary}) or a copy of it
 * ({@code shadow}) for a trial period, after which the candidate must be no worse than stable in
 * error rate and p99 latency.
 *
 * @param canaryPercent the share of unlabelled requests a canary answers, 0 to 100
 * @param trialSeconds how long a trial lasts at least
 * @param minTrialRequests the candidate requests a trial needs before it is judged; a trial that
 *     has fewer after ten times {@code trialSeconds} keeps the candidate
 * @param p99Tolerance how much higher the candidate's p99 may be, as a fraction of stable's
 * @param errorRateTolerance how much higher its error rate may be, as a fraction of requests
 * @param minAgreement in shadow mode, the least share of requests answered as stable answered them
 * @param evaluationDataset a dataset both versions are also judged on before any trial, or null
 */
public record RolloutPolicy(
    @JsonProperty("mode") Mode mode,
    @JsonProperty("canary_percent") double canaryPercent,
    @JsonProperty("trial_seconds") double trialSeconds,
    @JsonProperty("min_trial_requests") int minTrialRequests,
    @JsonProperty("p99_tolerance") double p99Tolerance,
    @JsonProperty("error_rate_tolerance") double errorRateTolerance,
    @JsonProperty("min_agreement") double minAgreement,
    @JsonProperty("evaluation_dataset") String evaluationDataset) {

  /** How a candidate meets traffic before it is promoted. */
  public enum Mode {
    @JsonProperty("none")
    NONE,
    @JsonProperty("canary")
    CANARY,
    @JsonProperty("shadow")
    SHADOW;

    public String apiName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** What a model without rollout settings does: promote on the accuracy check alone. */
  public static final RolloutPolicy DEFAULT =
      new RolloutPolicy(Mode.NONE, 10, 60, 100, 0.25, 0.001, 0, null);

  private static final List<String> FIELDS =
      List.of(
          "mode",
          "canary_percent",
          "trial_seconds",
          "min_trial_requests",
          "p99_tolerance",
          "error_rate_tolerance",
          "min_agreement",
          "evaluation_dataset");

  /** The settings a request body gives, the others as {@link #DEFAULT}; 400 naming a bad one. */
  public static RolloutPolicy parse(JsonNode body) {
    JsonSettings settings = JsonSettings.of(body, "rollout", FIELDS);
    RolloutPolicy d = DEFAULT;
    String mode =
        settings.choice(
            "mode", d.mode.apiName(), Arrays.stream(Mode.values()).map(Mode::apiName).toList());
    return new RolloutPolicy(
        Mode.valueOf(mode.toUpperCase(Locale.ROOT)),
        settings.number("canary_percent", d.canaryPercent, 0, 100),
        settings.number("trial_seconds", d.trialSeconds, 0.1, 7 * 24 * 3600),
        settings.count("min_trial_requests", d.minTrialRequests, 0),
        settings.number("p99_tolerance", d.p99Tolerance, 0, 100),
        settings.number("error_rate_tolerance", d.errorRateTolerance, 0, 1),
        settings.number("min_agreement", d.minAgreement, 0, 1),
        settings.name("evaluation_dataset", "a dataset"));
  }

  /** The settings as the API shows them. */
  public Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("mode", mode.apiName());
    map.put("canary_percent", canaryPercent);
    map.put("trial_seconds", trialSeconds);
    map.put("min_trial_requests", minTrialRequests);
    map.put("p99_tolerance", p99Tolerance);
    map.put("error_rate_tolerance", errorRateTolerance);
    map.put("min_agreement", minAgreement);
    map.put("evaluation_dataset", evaluationDataset);
    return map;
  }
}
