package io.tuneserve.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tuneserve.dataset.DatasetImages;
import io.tuneserve.dataset.DatasetReader;
import io.tuneserve.dataset.DatasetStore;
import io.tuneserve.dataset.DatasetVersion;
import io.tuneserve.image.ImageDecoder;
import io.tuneserve.model.ErrorKind;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.repository.ModelNames;
import io.tuneserve.repository.ModelSettings;
import io.tuneserve.rollout.Rollouts;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ServedVersion;
import io.tuneserve.serving.VersionLabels;
import io.tuneserve.training.Augmentation;
import io.tuneserve.training.ClassifierLoss;
import io.tuneserve.training.Hyperparameters;
import io.tuneserve.training.Job;
import io.tuneserve.training.JobBoard;
import io.tuneserve.training.JobData;
import io.tuneserve.training.JobDocument;
import io.tuneserve.training.JobManager;
import io.tuneserve.training.JobSpec;
import io.tuneserve.training.LabelledExamples;
import io.tuneserve.training.Strategy;
import io.tuneserve.training.TrainingRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Fine-tuning jobs: {@code POST /v1/jobs} starts one from labelled images, {@code GET
 * /v1/jobs[/id]} follows it, {@code DELETE /v1/jobs/id} cancels it. The images are decoded and
 * checked against the base model before the job is queued, so bad data is a 4xx, not a failed job.
 */
final class JobsApi {
  static final String API = "jobs";

  private final JobManager jobs;
  private final JobBoard board;
  private final JobHandOver handOver;
  private final JobProgress progress;
  private final ModelManager models;
  private final long maxImagePixels;
  private final int maxExamples;
  private final long maxBodyBytes;
  private final DatasetStore datasets;
  private final Rollouts rollouts;

  JobsApi(
      JobManager jobs,
      JobBoard board,
      Function<String, Optional<String>> nodeUrls,
      ModelManager models,
      long maxImagePixels,
      int maxExamples,
      long maxBodyBytes,
      DatasetStore datasets,
      Rollouts rollouts,
      OpenStreams streams) {
    this.datasets = datasets;
    this.rollouts = rollouts;
    this.progress = new JobProgress(board, streams);
    this.jobs = jobs;
    this.board = board;
    this.handOver = new JobHandOver(board, nodeUrls);
    this.models = models;
    this.maxImagePixels = maxImagePixels;
    this.maxExamples = maxExamples;
    this.maxBodyBytes = maxBodyBytes;
  }

  /** The WebSocket progress route; mounted before anything reads request bodies. */
  void mountWebSocket(Router router) {
    router.get("/v1/jobs/:id/ws").handler(progress::streamToWebSocket);
  }

  void mount(Router router) {
    router.get("/v1/jobs/:id/events").handler(progress::streamEvents);
    router.post("/v1/jobs").handler(this::submit);
    router.get("/v1/jobs").handler(this::list);
    router.get("/v1/jobs/:id").handler(ctx -> reply(ctx, 200, () -> document(ctx)));
    router.delete("/v1/jobs/:id").handler(ctx -> reply(ctx, 202, () -> cancel(ctx)));
  }

  /** A job's document from the cluster's board, wherever it runs. */
  private String document(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    return board.document(id).orElseThrow(() -> ServingException.notFound("no job " + id));
  }

  /** Cancels a job of this node at once, or asks the node that runs it. */
  private String cancel(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (jobs.get(id).isPresent()) {
      jobs.cancel(id);
    } else {
      document(ctx);
      board.requestCancel(id);
    }
    return document(ctx);
  }

  /** Board calls block: they run on a worker thread and the reply comes back to the loop. */
  private static void reply(RoutingContext ctx, int status, Callable<String> document) {
    Replies.jsonFromWorker(ctx, status, document, JsonGenerator::writeRawValue);
  }

  /**
   * Queues a job here when this node has a free training thread; otherwise hands the request to a
   * node that has one (once: a handed-over request is never passed on), and queues it here when
   * none has.
   */
  private void submit(RoutingContext ctx) {
    byte[] bytes = RawBody.bytes(ctx);
    String contentType = ctx.request().getHeader("content-type");
    if (ctx.request().getHeader(JobHandOver.HANDED_OVER) != null || jobs.freeSlots() > 0) {
      submitHere(ctx, bytes, contentType);
      return;
    }
    ctx.vertx()
        .executeBlocking(() -> handOver.nodeWithCapacity(), false)
        .onSuccess(
            url -> {
              if (url.isEmpty()) {
                submitHere(ctx, bytes, contentType);
              } else {
                handOver.send(
                    ctx, url.get(), bytes, contentType, () -> submitHere(ctx, bytes, contentType));
              }
            })
        .onFailure(ctx::fail);
  }

  /** Checks a job request and queues it on this node; blocks, so never on an event loop. */
  Job submitJob(JsonNode body) {
    JobSpec spec = spec(body);
    return jobs.submit(spec, data(body, spec));
  }

  private void submitHere(RoutingContext ctx, byte[] bytes, String contentType) {
    ctx.vertx()
        .executeBlocking(
            () -> {
              JsonNode body;
              if (MultipartJobs.isMultipart(contentType)) {
                body = MultipartJobs.toJson(contentType, bytes);
              } else if (ArchiveJobs.isArchive(contentType)) {
                body = ArchiveJobs.toJson(bytes, maxBodyBytes);
              } else {
                body = JsonBodies.parseObject(bytes, 0, bytes.length);
              }
              return submitJob(body);
            })
        .onSuccess(
            job -> {
              ctx.response().putHeader("location", "/v1/jobs/" + job.id());
              String document = JobDocument.of(job.snapshot(), board.nodeId());
              Replies.json(ctx, 202, out -> out.writeRawValue(document));
            })
        .onFailure(ctx::fail);
  }

  private static JobSpec spec(JsonNode body) {
    String base = name(body, "base_model");
    String target = name(body, "target_model");
    JsonNode version = body.get("base_version");
    Long baseVersion = null;
    if (version != null && !version.isNull()) {
      if (!version.canConvertToLong() || !version.isIntegralNumber() || version.longValue() < 1) {
        throw ServingException.invalid("'base_version' must be a positive integer");
      }
      baseVersion = version.longValue();
    }
    JsonNode strategyNode = body.get("strategy");
    Strategy strategy = Strategy.AUTO;
    if (strategyNode != null) {
      strategy =
          Strategy.fromApiName(strategyNode.asText())
              .orElseThrow(
                  () ->
                      ServingException.invalid(
                          "unknown strategy "
                              + strategyNode
                              + "; available: "
                              + Arrays.stream(Strategy.values()).map(Strategy::apiName).toList()));
    }
    return new JobSpec(
        base,
        baseVersion,
        target,
        strategy,
        hyperparameters(body.get("hyperparameters")),
        augmentation(body.get("augmentation")),
        publishAs(body.get("publish_as")));
  }

  /**
   * The label the new version is published under: {@code candidate} (judged by the promotion gate)
   * unless the job names another.
   */
  private static String publishAs(JsonNode node) {
    if (node == null || node.isNull()) {
      return VersionLabels.CANDIDATE;
    }
    if (!node.isTextual()) {
      throw ServingException.invalid(
          "'publish_as' must be a version label, such as \"stable\" or \"candidate\"");
    }
    VersionLabels.checkName(node.textValue());
    return node.textValue();
  }

  /**
   * {@code "auto"} (or absent: chosen by the data's size), {@code "none"}, {@code "default"} (the
   * small-data settings), or an object of settings, those it leaves out off.
   */
  private static Augmentation augmentation(JsonNode node) {
    if (node == null || node.isNull() || (node.isTextual() && node.textValue().equals("auto"))) {
      return null;
    }
    if (node.isTextual() && node.textValue().equals("none")) {
      return Augmentation.NONE;
    }
    if (node.isTextual() && node.textValue().equals("default")) {
      return Augmentation.SMALL_DATA;
    }
    List<String> known = List.of("crop", "flip", "rotation_degrees", "brightness", "contrast");
    if (!node.isObject()) {
      throw ServingException.invalid(
          "'augmentation' must be \"auto\", \"none\", \"default\" or an object with any of "
              + known);
    }
    node.fieldNames()
        .forEachRemaining(
            field -> {
              if (!known.contains(field)) {
                throw ServingException.invalid(
                    "unknown augmentation setting '" + field + "'; known: " + known);
              }
              boolean bool = field.equals("flip");
              if (bool ? !node.get(field).isBoolean() : !node.get(field).isNumber()) {
                throw ServingException.invalid(
                    "augmentation '"
                        + field
                        + "' must be "
                        + (bool ? "true or false" : "a number"));
              }
            });
    return new Augmentation(
        node.path("crop").asDouble(0),
        node.path("flip").asBoolean(false),
        node.path("rotation_degrees").asDouble(0),
        node.path("brightness").asDouble(0),
        node.path("contrast").asDouble(0));
  }

  private static String name(JsonNode body, String field) {
    JsonNode value = body.get(field);
    if (value == null || !value.isTextual() || !ModelNames.isValidName(value.textValue())) {
      throw ServingException.invalid(
          "'" + field + "' must name a model (letters, digits, '_', '-', '.')");
    }
    return value.textValue();
  }

  private static Hyperparameters hyperparameters(JsonNode node) {
    Hyperparameters d = Hyperparameters.DEFAULTS;
    if (node == null) {
      return d;
    }
    if (!node.isObject()) {
      throw ServingException.invalid("'hyperparameters' must be an object");
    }
    List<String> known =
        List.of(
            "epochs",
            "batch_size",
            "learning_rate",
            "base_learning_rate",
            "frozen_blocks",
            "head_epochs",
            "l2",
            "validation_fraction",
            "patience",
            "seed",
            "classifier");
    node.fieldNames()
        .forEachRemaining(
            field -> {
              if (!known.contains(field)) {
                throw ServingException.invalid(
                    "unknown hyperparameter '" + field + "'; known: " + known);
              }
              if (!field.equals("classifier") && !node.get(field).isNumber()) {
                throw ServingException.invalid("hyperparameter '" + field + "' must be a number");
              }
            });
    return new Hyperparameters(
        node.path("epochs").asInt(d.epochs()),
        node.path("batch_size").asInt(d.batchSize()),
        node.path("learning_rate").asDouble(d.learningRate()),
        node.path("base_learning_rate").asDouble(d.baseLearningRate()),
        node.path("frozen_blocks").asInt(d.frozenBlocks()),
        node.path("head_epochs").asInt(d.headEpochs()),
        node.path("l2").asDouble(d.l2()),
        node.path("validation_fraction").asDouble(d.validationFraction()),
        node.path("patience").asInt(d.patience()),
        node.path("seed").asLong(d.seed()),
        node.has("classifier")
            ? ClassifierLoss.fromApiName(node.get("classifier").asText())
                .orElseThrow(
                    () ->
                        ServingException.invalid(
                            "hyperparameter 'classifier' must be softmax or svm, got "
                                + node.get("classifier")))
            : d.classifier());
  }

  /**
   * The job's examples as the base model takes them: decoded from the request's instances and
   * labels, or read from a stored dataset as training needs them; and the validation and test
   * datasets it names.
   */
  private JobData data(JsonNode body, JobSpec spec) {
    JsonNode dataset = body.get("dataset");
    if (dataset != null && (body.has("instances") || body.has("labels"))) {
      throw ServingException.invalid(
          "a job takes its examples from 'dataset' or from 'instances' and 'labels', not both");
    }
    String base = spec.baseModel();
    ServedVersion served =
        models.acquire(
            base,
            spec.baseVersion() == null
                ? OptionalLong.empty()
                : OptionalLong.of(spec.baseVersion()));
    LabelledExamples examples = null;
    LabelledExamples validation = null;
    LabelledExamples test = null;
    try {
      String signatureKey = served.settings().featureSource().signature();
      SignatureSpec signature = served.signatures().get(signatureKey);
      ModelSettings.FeatureSource source = served.settings().featureSource();
      String output =
          TrainingRequest.outputFor(
              spec.strategy(),
              source.output(),
              source.earlierOutputAmong(
                  signature == null ? Set.of() : signature.outputs().keySet()));
      if (signature != null && !signature.outputs().containsKey(output)) {
        throw ServingException.invalid(
            "signature " + signatureKey + " of model " + base + " has no output '" + output + "'");
      }
      if (signature == null || signature.inputs().size() != 1) {
        throw ServingException.invalid(
            "model "
                + base
                + " has no signature '"
                + signatureKey
                + "' with one input to take"
                + " features from, so it cannot be a base for fine-tuning");
      }
      TensorSpec input = signature.inputs().values().iterator().next();
      ImageDecoder decoder =
          ImageDecoder.forInput(
              withImageSize(served.settings(), body.get("image_size")),
              input.name(),
              input.dtype(),
              maxImagePixels);
      examples =
          dataset == null
              ? inline(body, input, decoder)
              : fromDataset(body, "dataset", base, decoder);
      validation = heldOutSet(body, "validation_dataset", base, decoder, examples);
      test = heldOutSet(body, "test_dataset", base, decoder, examples);
      String evaluation =
          rollouts
              .policy(spec.targetModel())
              .map(io.tuneserve.rollout.RolloutPolicy::evaluationDataset)
              .orElse(null);
      if (test == null && evaluation != null) {
        // The model's evaluation dataset is the test set of every job that names none.
        test =
            heldOutSet(
                JsonNodeFactory.instance.objectNode().put("test_dataset", evaluation),
                "test_dataset",
                base,
                decoder,
                examples);
      }
      TensorData first = examples.images().range(0, 1);
      if (served.settings().inputShapeCheck() != ModelSettings.ShapeCheck.NONE
          && !input.accepts(first.shape())) {
        long[] shape = first.shape();
        shape[0] = examples.count();
        throw ServingException.invalid(
            "the instances have shape "
                + Arrays.toString(shape)
                + " but the base model takes "
                + input.feedShapeText());
      }
      checkBaseTakes(served, signature, output, first);
      return new JobData(examples, validation, test);
    } catch (RuntimeException e) {
      for (LabelledExamples opened : new LabelledExamples[] {examples, validation, test}) {
        if (opened != null) {
          opened.images().close();
        }
      }
      throw e;
    } finally {
      served.release();
    }
  }

  /** The instances and labels of the request, decoded into memory. */
  private LabelledExamples inline(JsonNode body, TensorSpec input, ImageDecoder decoder) {
    JsonNode instances = body.get("instances");
    JsonNode labels = body.get("labels");
    if (instances == null || !instances.isArray() || instances.isEmpty()) {
      throw ServingException.invalid(
          "'instances' must be a non-empty list of images (or name a stored 'dataset')");
    }
    if (labels == null || !labels.isArray()) {
      throw ServingException.invalid("'labels' must be a list with one label per instance");
    }
    if (labels.size() != instances.size()) {
      throw ServingException.invalid(
          "there are " + instances.size() + " instances but " + labels.size() + " labels");
    }
    if (instances.size() > maxExamples) {
      throw ServingException.invalid(
          instances.size()
              + " examples; a job takes at most "
              + maxExamples
              + " in its request (store larger sets with PUT /v1/datasets/{name})");
    }
    List<String> names = new ArrayList<>();
    for (JsonNode label : labels) {
      if (!label.isTextual() && !label.isIntegralNumber()) {
        throw ServingException.invalid("each label must be a string or an integer, got " + label);
      }
      names.add(label.asText());
    }
    List<String> classes = List.copyOf(new TreeSet<>(names));
    int[] indices = names.stream().mapToInt(classes::indexOf).toArray();
    TensorData images = JsonTensorReader.read(input.name(), input.dtype(), instances, decoder);
    return new LabelledExamples(images, indices, classes);
  }

  /**
   * The dataset a job names in {@code field} (and its version in {@code field_version}), labelled
   * with the training classes; null when the job names none.
   */
  private LabelledExamples heldOutSet(
      JsonNode body, String field, String base, ImageDecoder decoder, LabelledExamples training) {
    JsonNode name = body.get(field);
    if (name == null || name.isNull()) {
      return null;
    }
    LabelledExamples set = fromDataset(body, field, base, decoder);
    try {
      return set.labelledAs(training.classNames(), field + " " + name.textValue());
    } catch (RuntimeException e) {
      set.images().close();
      throw e;
    }
  }

  /**
   * A stored dataset's version (the newest unless the job names one), read as training goes; or,
   * for a list of names, their newest versions one after the other.
   */
  private LabelledExamples fromDataset(
      JsonNode body, String field, String base, ImageDecoder decoder) {
    JsonNode names = body.get(field);
    List<DatasetVersion> versions = new ArrayList<>();
    if (names != null && names.isArray()) {
      if (names.isEmpty()) {
        throw ServingException.invalid("'" + field + "' must name at least one dataset");
      }
      for (JsonNode name : names) {
        versions.add(
            DatasetsApi.named(
                datasets, JsonNodeFactory.instance.objectNode().set(field, name), field));
      }
    } else {
      versions.add(DatasetsApi.named(datasets, body, field));
    }
    if (decoder == null) {
      throw ServingException.invalid(
          "model "
              + base
              + " declares no image preprocessing in its model.yaml, so it cannot read the"
              + " images of dataset "
              + versions.get(0).name());
    }
    List<LabelledExamples.Part> parts = new ArrayList<>();
    try {
      for (DatasetVersion version : versions) {
        DatasetReader reader = datasets.open(version);
        parts.add(
            new LabelledExamples.Part(
                new DatasetImages(reader, decoder), reader.labels(), version.classNames()));
      }
      return LabelledExamples.joined(parts);
    } catch (IOException | RuntimeException e) {
      parts.forEach(part -> part.images().close());
      if (e instanceof IOException io) {
        throw new UncheckedIOException(io);
      }
      throw (RuntimeException) e;
    }
  }

  /**
   * Runs the base on one of the images, so a size the network cannot process (a feature map
   * shrinking below a filter) is refused now rather than failing the job later.
   */
  private static void checkBaseTakes(
      ServedVersion base, SignatureSpec signature, String output, TensorData first) {
    String input = signature.inputs().keySet().iterator().next();
    try {
      base.run(signature, Map.of(input, first), Set.of(output)).get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ServingException serving
          && serving.kind() == ErrorKind.INVALID_ARGUMENT) {
        throw ServingException.invalid(
            "the base model cannot take images of shape "
                + Arrays.toString(first.shape())
                + ": "
                + serving.getMessage());
      }
      throw new ServingException(
          ErrorKind.INTERNAL, "cannot check the images against the base", cause);
    } catch (TimeoutException e) {
      throw ServingException.unavailable("the base model did not answer in time");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ServingException.unavailable("interrupted");
    }
  }

  /**
   * The base's image settings, resized when the job asks to train at another size ({@code
   * "image_size": [height, width]}); the base must accept it, which the shape check then tells.
   */
  private static ModelSettings withImageSize(ModelSettings settings, JsonNode size) {
    if (size == null) {
      return settings;
    }
    if (!size.isArray()
        || size.size() != 2
        || !size.get(0).canConvertToInt()
        || !size.get(1).canConvertToInt()
        || size.get(0).asInt() < 1
        || size.get(1).asInt() < 1
        || size.get(0).asInt() > 4096
        || size.get(1).asInt() > 4096) {
      throw ServingException.invalid("'image_size' must be [height, width], each 1..4096");
    }
    ModelSettings.ImageInput image = settings.image();
    if (image == null) {
      throw ServingException.invalid(
          "'image_size' applies to images, and the base model declares no image preprocessing");
    }
    return new ModelSettings(
        settings.versionPolicy(),
        settings.batching(),
        settings.labels(),
        new ModelSettings.ImageInput(
            image.signature(),
            image.input(),
            image.output(),
            size.get(0).asInt(),
            size.get(1).asInt(),
            image.channels(),
            image.scale(),
            image.offset()),
        settings.features(),
        settings.inputShapeCheck());
  }

  private void list(RoutingContext ctx) {
    Replies.jsonFromWorker(
        ctx,
        200,
        board::documents,
        (json, all) -> {
          json.writeStartObject();
          json.writeArrayFieldStart("jobs");
          for (String document : all) {
            json.writeRawValue(document);
          }
          json.writeEndArray();
          json.writeEndObject();
        });
  }
}
