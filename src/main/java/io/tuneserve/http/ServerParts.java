package io.tuneserve.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tuneserve.inference.InferenceService;
import io.tuneserve.metrics.ServingMetrics;
import io.tuneserve.registry.NodeConvergence;
import io.tuneserve.registry.VersionPublisher;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.training.JobBoard;
import io.tuneserve.training.JobManager;

/**
 * What the HTTP APIs call into.
 *
 * @param jobs the jobs this node runs
 * @param board the jobs of the whole cluster
 * @param rollouts the cluster's rollout settings and trials
 * @param feedback the cluster's continual settings, feedback and recent predictions
 * @param jobRequests reads and queues job requests on this node
 * @param continual starts models' continual jobs
 * @param node this node's agreement with the cluster's registry
 * @param publisher the registry's writes (publish, delete, pin)
 * @param prometheus the registry /metrics scrapes
 * @param draining set once the server shuts down
 */
public record ServerParts(
    InferenceService inference,
    ModelManager manager,
    JobManager jobs,
    JobBoard board,
    io.tuneserve.dataset.DatasetStore datasets,
    io.tuneserve.rollout.Rollouts rollouts,
    io.tuneserve.feedback.FeedbackStore feedback,
    JobRequests jobRequests,
    io.tuneserve.feedback.ContinualTrainer continual,
    NodeConvergence node,
    VersionPublisher publisher,
    ServingMetrics metrics,
    PrometheusMeterRegistry prometheus,
    Draining draining,
    String serverVersion) {}
