package io.tuneserve.http;

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
import io.tuneserve.training.JobData;
import io.tuneserve.training.JobManager;
import io.tuneserve.training.JobSpec;
import io.tuneserve.training.LabelledExamples;
import io.tuneserve.training.Strategy;
import io.tuneserve.training.TrainingRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A fine-tuning job's request, read and checked: its spec and hyperparameters, and its examples
 * decoded from the request or opened from stored datasets and checked against the base model, so
 * bad data is a 4xx before the job is queued rather than a failed job. Jobs submitted over HTTP and
 * those the server starts itself (continual training) come through here.
 */
public final class JobRequests {
  private static final com.fasterxml.jackson.databind.ObjectMapper LINEAGE =
      new com.fasterxml.jackson.databind.ObjectMapper();
  private final JobManager jobs;
  private final ModelManager models;
  private final long maxImagePixels;
  private final int maxExamples;
  private final DatasetStore datasets;
  private final Rollouts rollouts;

  /**
   * @param maxExamples the most examples a request may carry inline
   */
  public JobRequests(
      JobManager jobs,
      ModelManager models,
      long maxImagePixels,
      int maxExamples,
      DatasetStore datasets,
      Rollouts rollouts) {
    this.jobs = jobs;
    this.models = models;
    this.maxImagePixels = maxImagePixels;
    this.maxExamples = maxExamples;
    this.datasets = datasets;
    this.rollouts = rollouts;
  }

  /**
   * The model a job that retrains {@code model}'s stable version starts from: the model itself when
   * that version can be a base (it has the signature features are read from), otherwise the base
   * its stable version was trained from, as its lineage records (a head-only version).
   */
  public String baseFor(String model) {
    ServedVersion served = models.acquire(model, OptionalLong.empty());
    try {
      if (served.signatures().containsKey(served.settings().featureSource().signature())
          || served.lineage() == null) {
        return model;
      }
      JsonNode base = LINEAGE.readTree(served.lineage()).get("base_model");
      return base == null || !base.isTextual() ? model : base.textValue();
    } catch (IOException e) {
      return model;
    } finally {
      served.release();
    }
  }

  /** Checks a job request and queues it on this node; blocks, so never on an event loop. */
  public Job submit(JsonNode body) {
    JobSpec spec = spec(body);
    return jobs.submit(spec, data(body, spec));
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
}
