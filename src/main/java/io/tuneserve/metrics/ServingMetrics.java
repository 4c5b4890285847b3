package io.tuneserve.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The server's own meters, in one place, named as they appear in Prometheus. */
public final class ServingMetrics {
  private final MeterRegistry registry;

  public ServingMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  public MeterRegistry registry() {
    return registry;
  }

  private record RequestKey(String api, String model, String version, int status) {}

  private record RequestMeters(Counter count, Timer duration) {}

  private final Map<RequestKey, RequestMeters> requestMeters = new ConcurrentHashMap<>();
  private final Map<String, ModelMeters> modelMeters = new ConcurrentHashMap<>();

  /** One finished request of an API, with the HTTP status it got. */
  public void request(String api, String model, String version, int status, long nanos) {
    RequestMeters meters =
        requestMeters.computeIfAbsent(
            new RequestKey(api, model, version, status), this::registerRequestMeters);
    meters.count().increment();
    meters.duration().record(nanos, TimeUnit.NANOSECONDS);
  }

  private RequestMeters registerRequestMeters(RequestKey key) {
    Counter count =
        Counter.builder("tuneserve_requests")
            .description("Inference and model API requests by model, version, API and status")
            .tag("api", key.api())
            .tag("model", key.model())
            .tag("version", key.version())
            .tag("status", Integer.toString(key.status()))
            .register(registry);
    Timer duration =
        Timer.builder("tuneserve_request_duration")
            .description("End-to-end request latency, from routing to the reply")
            .tag("api", key.api())
            .tag("model", key.model())
            .publishPercentileHistogram()
            .serviceLevelObjectives(
                Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(25))
            .register(registry);
    return new RequestMeters(count, duration);
  }

  /** The per-model meters of the batching path. */
  private record ModelMeters(Timer queueWait, DistributionSummary batchSize, Timer compute) {}

  private ModelMeters model(String model) {
    return modelMeters.computeIfAbsent(
        model,
        name ->
            new ModelMeters(
                Timer.builder("tuneserve_queue_wait")
                    .description("Time from enqueue to the start of the batch that ran the request")
                    .tag("model", name)
                    .publishPercentileHistogram()
                    .register(registry),
                DistributionSummary.builder("tuneserve_batch_size")
                    .description("Rows per batch run by TensorFlow")
                    .tag("model", name)
                    .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256)
                    .register(registry),
                Timer.builder("tuneserve_compute")
                    .description("TensorFlow session run time per batch")
                    .tag("model", name)
                    .publishPercentileHistogram()
                    .register(registry)));
  }

  /** Time a request spent queued before its batch started. */
  public void queueWait(String model, long nanos) {
    model(model).queueWait().record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Rows in one batch run by TensorFlow. */
  public void batchSize(String model, int rows) {
    model(model).batchSize().record(rows);
  }

  /** Time TensorFlow spent on one run. */
  public void compute(String model, long nanos) {
    model(model).compute().record(nanos, TimeUnit.NANOSECONDS);
  }

  /** A request dropped unrun: its timeout passed or its client went away while it waited. */
  public void dropped(String model) {
    Counter.builder("tuneserve_requests_dropped")
        .description("Requests dropped before they ran: timed out or abandoned by their client")
        .tag("model", model)
        .register(registry)
        .increment();
  }

  public void loadFailure(String model) {
    Counter.builder("tuneserve_model_load_failures")
        .description("Model versions that failed to load")
        .tag("model", model)
        .register(registry)
        .increment();
  }

  public void loadTime(String model, long nanos) {
    Timer.builder("tuneserve_model_load")
        .description("Time to load and warm up a model version")
        .tag("model", model)
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** The meters of one version's requests in one role of a rollout trial. */
  public record RolloutMeters(Counter ok, Counter errors, Timer latency) {}

  /**
   * The meters of a version's requests in a trial: {@code role} is {@code stable}, {@code canary}
   * (the candidate answering its share) or {@code shadow} (the candidate on mirrored requests).
   */
  public RolloutMeters rollout(String model, long version, String role) {
    String v = Long.toString(version);
    java.util.function.Function<String, Counter> outcome =
        name ->
            Counter.builder("tuneserve_rollout_requests")
                .description("Requests of rollout trials by model, version, role and outcome")
                .tag("model", model)
                .tag("version", v)
                .tag("role", role)
                .tag("outcome", name)
                .register(registry);
    return new RolloutMeters(
        outcome.apply("ok"),
        outcome.apply("error"),
        Timer.builder("tuneserve_rollout_latency")
            .description("Latency of rollout trial requests, from admission to the outputs")
            .tag("model", model)
            .tag("version", v)
            .tag("role", role)
            .publishPercentiles(0.5, 0.99)
            .publishPercentileHistogram()
            .register(registry));
  }

  /** The meters of a shadow's comparisons with stable: agreeing, disagreeing, and their ratio. */
  public Counter[] shadowComparisons(String model, long version, Supplier<Number> agreement) {
    String v = Long.toString(version);
    Gauge.builder("tuneserve_shadow_agreement", agreement)
        .description("Share of a shadow's answers that agree with stable's, in its trial")
        .tag("model", model)
        .tag("version", v)
        .register(registry);
    Counter[] counters = new Counter[2];
    for (int i = 0; i < 2; i++) {
      counters[i] =
          Counter.builder("tuneserve_shadow_comparisons")
              .description("A shadow's answers compared with stable's, by result")
              .tag("model", model)
              .tag("version", v)
              .tag("result", i == 0 ? "agree" : "disagree")
              .register(registry);
    }
    return counters;
  }

  /** Number of model versions currently available. */
  public void versionsAvailable(Supplier<Number> count) {
    Gauge.builder("tuneserve_model_versions_available", count)
        .description("Model versions loaded and available")
        .register(registry);
  }

  /** The cluster as this node sees it: its members and the versions in the registry. */
  public void cluster(Supplier<Number> nodes, Supplier<Number> registeredVersions) {
    Gauge.builder("tuneserve_cluster_nodes", nodes)
        .description("Nodes in the cluster, this one included")
        .register(registry);
    Gauge.builder("tuneserve_registry_versions", registeredVersions)
        .description("Model versions registered in the cluster")
        .register(registry);
  }
}
