package io.tuneserve.training;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tuneserve.training.Job.Snapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;

/**
 * A job as JSON, the form every node shows and the cluster's job board keeps: what was asked, where
 * it runs, its phases, epochs, decision and result.
 */
public final class JobDocument {
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final ObjectMapper JSON = new ObjectMapper();

  private JobDocument() {}

  /** The document of a job running on {@code node}. */
  public static String of(Snapshot job, String node) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    try (JsonGenerator json = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
      write(json, job, node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** The state a document records. */
  public static JobState state(String document) {
    return JobState.valueOf(tree(document).path("state").asText());
  }

  /** When the job was submitted, as the document records it. */
  public static Instant createdAt(String document) {
    return Instant.parse(tree(document).path("created_at").asText());
  }

  /** The node a document says runs the job. */
  public static String node(String document) {
    return tree(document).path("node").asText();
  }

  /** The document of a job that ended FAILED for {@code reason} at {@code now}. */
  public static String failed(String document, String reason, Instant now) {
    ObjectNode job = tree(document);
    job.put("state", JobState.FAILED.name());
    job.put("error", reason);
    job.put("finished_at", now.toString());
    return job.toString();
  }

  private static ObjectNode tree(String document) {
    try {
      JsonNode node = JSON.readTree(document);
      if (node instanceof ObjectNode object) {
        return object;
      }
      throw new IllegalArgumentException("a job document is a JSON object");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(JsonGenerator json, Snapshot job, String node) throws IOException {
    json.writeStartObject();
    json.writeStringField("id", job.id());
    json.writeStringField("node", node);
    json.writeStringField("state", job.state().name());
    if (job.phase() != null) {
      json.writeStringField("phase", job.phase().name().toLowerCase(Locale.ROOT));
    }
    json.writeNumberField("progress", job.progress());
    json.writeStringField("base_model", job.spec().baseModel());
    if (job.baseVersion() > 0) {
      json.writeStringField("base_version", Long.toString(job.baseVersion()));
    }
    json.writeStringField("target_model", job.spec().targetModel());
    json.writeStringField("strategy", job.spec().strategy().apiName());
    Hyperparameters hp = job.spec().hyperparameters();
    json.writeObjectFieldStart("hyperparameters");
    json.writeNumberField("epochs", hp.epochs());
    json.writeNumberField("batch_size", hp.batchSize());
    json.writeNumberField("learning_rate", hp.learningRate());
    json.writeNumberField("base_learning_rate", hp.baseLearningRate());
    json.writeNumberField("frozen_blocks", hp.frozenBlocks());
    json.writeNumberField("head_epochs", hp.headEpochs());
    json.writeNumberField("l2", hp.l2());
    json.writeNumberField("validation_fraction", hp.validationFraction());
    json.writeNumberField("patience", hp.patience());
    json.writeNumberField("seed", hp.seed());
    json.writeStringField("classifier", hp.classifier().apiName());
    json.writeEndObject();
    if (job.spec().augmentation() != null) {
      json.writeFieldName("augmentation");
      JSON.writeTree(json, JSON.valueToTree(job.spec().augmentation().toMap()));
    }
    json.writeArrayFieldStart("classes");
    for (String name : job.classNames()) {
      json.writeString(name);
    }
    json.writeEndArray();
    json.writeNumberField("examples", job.examples());
    json.writeStringField("data_sha256", job.dataFingerprint());
    time(json, "created_at", job.createdAt());
    time(json, "started_at", job.startedAt());
    time(json, "finished_at", job.finishedAt());
    json.writeObjectFieldStart("phase_started_at");
    for (var entry : job.phaseStartedAt().entrySet()) {
      time(json, entry.getKey().name().toLowerCase(Locale.ROOT), entry.getValue());
    }
    json.writeEndObject();
    json.writeArrayFieldStart("epochs");
    for (EpochMetrics epoch : job.epochs()) {
      json.writeStartObject();
      json.writeNumberField("epoch", epoch.epoch());
      json.writeNumberField("loss", epoch.loss());
      json.writeNumberField("train_accuracy", epoch.trainAccuracy());
      if (!Double.isNaN(epoch.validationAccuracy())) {
        json.writeNumberField("validation_accuracy", epoch.validationAccuracy());
      }
      json.writeNumberField("learning_rate", epoch.learningRate());
      json.writeEndObject();
    }
    json.writeEndArray();
    StrategyDecision decision = job.decision();
    if (decision != null) {
      json.writeObjectFieldStart("decision");
      json.writeStringField("chosen", decision.chosen().apiName());
      json.writeNumberField("frozen_blocks", decision.frozenBlocks());
      json.writeNumberField("examples_per_class", decision.examplesPerClass());
      json.writeStringField("size", decision.large() ? "large" : "small");
      json.writeNumberField("top_probe_accuracy", decision.topProbeAccuracy());
      if (!Double.isNaN(decision.earlierProbeAccuracy())) {
        json.writeNumberField("earlier_probe_accuracy", decision.earlierProbeAccuracy());
      }
      json.writeStringField("similarity", decision.similar() ? "similar" : "different");
      if (!Double.isNaN(decision.fineTuneTrialAccuracy())) {
        json.writeNumberField("fine_tune_trial_accuracy", decision.fineTuneTrialAccuracy());
      }
      json.writeStringField("reason", decision.reason());
      json.writeEndObject();
    }
    if (job.error() != null) {
      json.writeStringField("error", job.error());
    }
    if (job.publishedVersion() > 0) {
      json.writeObjectFieldStart("result");
      json.writeStringField("model", job.spec().targetModel());
      json.writeStringField("version", Long.toString(job.publishedVersion()));
      json.writeStringField("label", job.spec().publishAs());
      if (job.promotion() != null) {
        json.writeFieldName("promotion");
        JSON.writeTree(json, JSON.valueToTree(job.promotion().toMap()));
      }
      json.writeNumberField("epochs_run", job.result().epochsRun());
      json.writeNumberField("train_accuracy", job.result().trainAccuracy());
      if (!Double.isNaN(job.result().validationAccuracy())) {
        json.writeNumberField("validation_accuracy", job.result().validationAccuracy());
      }
      if (!job.result().evaluations().isEmpty()) {
        json.writeFieldName("evaluations");
        JSON.writeTree(
            json,
            JSON.valueToTree(job.result().evaluations().stream().map(Evaluation::toMap).toList()));
      }
      json.writeEndObject();
    }
    json.writeEndObject();
  }

  private static void time(JsonGenerator json, String field, Instant instant) throws IOException {
    if (instant != null) {
      json.writeStringField(field, instant.toString());
    }
  }
}
