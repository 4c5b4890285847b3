package io.tuneserve.tf;

import io.tuneserve.model.ServingException;
import io.tuneserve.repository.HeadDefinition;
import io.tuneserve.training.Augmentation;
import io.tuneserve.training.AugmentedCopies;
import io.tuneserve.training.ClassifierLoss;
import io.tuneserve.training.EpochMetrics;
import io.tuneserve.training.Evaluation;
import io.tuneserve.training.Hyperparameters;
import io.tuneserve.training.LabelledExamples;
import io.tuneserve.training.Phase;
import io.tuneserve.training.Strategy;
import io.tuneserve.training.StrategyDecision;
import io.tuneserve.training.Trainer;
import io.tuneserve.training.TrainingProgress;
import io.tuneserve.training.TrainingRequest;
import io.tuneserve.training.TrainingResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.types.TFloat32;

/**
 * Trains with TensorFlow Java, in the base model's own graph:
 *
 * <ul>
 *   <li>feature extractor (top or earlier layer): the base frozen, its features computed once, a
 *       new softmax classifier trained on them;
 *   <li>fine-tune: a new classifier, and backpropagation into the blocks after the first {@code
 *       frozen_blocks}, at {@code base_learning_rate} (the classifier at {@code learning_rate}),
 *       optionally after {@code head_epochs} of training the classifier alone.
 * </ul>
 *
 * The result is exported with the base's image input: {@code serving_default} answers with the new
 * classes, {@code features} gives the (possibly fine-tuned) features.
 */
public final class TensorFlowTrainer implements Trainer {
  private static final int PROBE_EPOCHS = 10;
  private static final int FINE_TUNE_TRIAL_EPOCHS = 8;
  private static final int REPEATS = 3;

  /** Changed copies of each training image whose CNN codes a classifier on codes trains on. */
  static final int AUGMENTED_COPIES = 4;

  private static final ConfigProto SESSION = ConfigProto.getDefaultInstance();

  @Override
  public TrainingResult train(TrainingRequest request, TrainingProgress progress) {
    if (request.strategy() == Strategy.AUTO) {
      StrategyDecision decision = advise(request, progress);
      progress.decided(decision);
      return train(
          request.with(
              decision.chosen(),
              request.hyperparameters().withFrozenBlocks(decision.frozenBlocks())),
          progress);
    }
    progress.phase(Phase.PREPARING);
    try (OpenModel model = SavedModels.open(request.baseVersion(), SESSION, request.layers())) {
      Base base = Base.of(model, request);
      Trained trained = fit(model, base, request, progress);
      progress.phase(Phase.EVALUATING);
      TrainingResult result = trained.result();
      if (request.test() != null) {
        result = result.with(trained.evaluate("test", request.test()));
      }
      progress.phase(Phase.PUBLISHING);
      if (request.headOf() != null && request.strategy() != Strategy.FINE_TUNE) {
        writeHead(model.session(), trained.head(), request);
        return result;
      }
      export(
          model.session(),
          model.graph(),
          base.imageAlias(),
          base.images(),
          base.features(),
          trained.head(),
          request);
      return result;
    }
  }

  /**
   * A trained classifier in a loaded base graph, not yet exported, with what evaluates it on
   * images: the fitter, fed the images themselves or their CNN codes.
   */
  private record Trained(
      NewHead head,
      TrainingResult result,
      Fitter fitter,
      UnaryOperator<LabelledExamples> fitterInputs) {

    Evaluation evaluate(String split, LabelledExamples images) {
      return fitter.evaluate(split, fitterInputs.apply(images));
    }
  }

  private static Trained fit(
      OpenModel model, Base base, TrainingRequest request, TrainingProgress progress) {
    Graph graph = model.graph();
    Session session = model.session();
    Output<TFloat32> codes = base.output(request.trainedOutput());
    Hyperparameters hp = request.hyperparameters();
    int classes = request.examples().classNames().size();
    LabelledExamples.Split data = request.split();
    switch (request.strategy()) {
      case FEATURE_EXTRACTOR, EARLIER_LAYER_FEATURES -> {
        UnaryOperator<LabelledExamples> codesOf =
            images -> FeatureExtraction.codesOf(session, base.images(), codes, images, progress);
        LabelledExamples trainCodes =
            codesOf.apply(
                AugmentedCopies.of(
                    data.train(), request.augmentation(), AUGMENTED_COPIES, hp.seed()));
        LabelledExamples.Split codeData =
            new LabelledExamples.Split(
                trainCodes, data.heldOut() ? codesOf.apply(data.validation()) : null);
        NewHead head =
            new NewHead(
                graph,
                codes,
                FeatureExtraction.standardization(trainCodes.images().range(0, trainCodes.count())),
                classes,
                hp);
        progress.phase(Phase.TRAINING);
        Fitter fitter = headFitter(session, graph, head);
        return new Trained(
            head, fitHead(session, fitter, head, codeData, hp, progress), fitter, codesOf);
      }
      case FINE_TUNE -> {
        List<Operand<TFloat32>> tuned =
            TrainableBlocks.feeding(model, codes).unfrozen(hp.frozenBlocks());
        int dimension =
            (int)
                FeatureExtraction.codes(
                        session,
                        base.images(),
                        codes,
                        request.examples().images().subset(new int[] {0}),
                        progress)
                    .dim(1);
        NewHead head =
            new NewHead(graph, codes, NewHead.Standardization.identity(dimension), classes, hp);
        Fitter.Stage warmUp =
            hp.headEpochs() > 0
                ? new Fitter.Stage(
                    head.trainOp(List.of(head.variables())), new double[] {hp.learningRate()})
                : null;
        Fitter.Stage full =
            new Fitter.Stage(
                head.trainOp(List.of(head.variables(), tuned)),
                new double[] {hp.learningRate(), hp.baseLearningRate()});
        session.initialize();
        List<Operand<TFloat32>> trained = new ArrayList<>(head.variables());
        trained.addAll(tuned);
        progress.phase(Phase.TRAINING);
        Fitter fitter =
            new Fitter(
                session,
                head,
                base.images(),
                new VariableValues(graph, trained),
                request.augmentation());
        TrainingResult result = fitter.fit(hp, data, warmUp, full, progress);
        return new Trained(head, result, fitter, UnaryOperator.identity());
      }
      default ->
          throw ServingException.invalid("strategy " + request.strategy() + " is not supported");
    }
  }

  /** Writes the classifier alone, as a head-only version over the base. */
  private static void writeHead(Session session, NewHead head, TrainingRequest request) {
    float[][] values = VariableValues.read(session, head.variables());
    int classes = values[1].length;
    try {
      new HeadDefinition(
              request.headOf().model(),
              request.headOf().version(),
              request.featureSignature(),
              request.trainedOutput(),
              values[0].length / classes,
              classes,
              head.standardization.mean(),
              head.standardization.inverseDeviation(),
              values[0],
              values[1])
          .write(request.output());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A fitter of the classifier alone, fed CNN codes. */
  private static Fitter headFitter(Session session, Graph graph, NewHead head) {
    return new Fitter(
        session,
        head,
        head.features,
        new VariableValues(graph, head.variables()),
        Augmentation.NONE);
  }

  private static TrainingResult fitHead(
      Session session,
      Fitter fitter,
      NewHead head,
      LabelledExamples.Split codes,
      Hyperparameters hp,
      TrainingProgress progress) {
    Fitter.Stage stage =
        new Fitter.Stage(head.trainOp(List.of(head.variables())), new double[] {hp.learningRate()});
    session.initialize();
    return fitter.fit(hp, codes, null, stage, progress);
  }

  /**
   * Measures what {@link Strategy#AUTO} decides on: examples per class, and quick linear probes on
   * the top-layer and the earlier layer's features.
   */
  private static StrategyDecision advise(TrainingRequest request, TrainingProgress progress) {
    progress.phase(Phase.PREPARING);
    int[] counts = new int[request.examples().classNames().size()];
    for (int label : request.examples().labels()) {
      counts[label]++;
    }
    int perClass = Arrays.stream(counts).min().orElse(0);
    Hyperparameters hp = request.hyperparameters();
    Hyperparameters probe =
        new Hyperparameters(
            PROBE_EPOCHS,
            hp.batchSize(),
            hp.learningRate(),
            hp.baseLearningRate(),
            0,
            0,
            hp.l2(),
            Math.max(0.2, hp.validationFraction()),
            3,
            hp.seed(),
            ClassifierLoss.SOFTMAX);
    TrainingProgress quiet =
        new TrainingProgress() {
          @Override
          public void phase(Phase phase) {}

          @Override
          public void epoch(EpochMetrics metrics, double fractionDone) {}

          @Override
          public boolean cancelled() {
            return progress.cancelled();
          }
        };
    try (OpenModel model = SavedModels.open(request.baseVersion(), SESSION, request.layers())) {
      Base base = Base.of(model, request);
      double top = probe(model, base, request.topOutput(), request, probe, quiet);
      double earlier =
          request.earlierOutput() == null
              ? Double.NaN
              : probe(model, base, request.earlierOutput(), request, probe, quiet);
      double fineTune = Double.NaN;
      if (perClass < StrategyDecision.LARGE_PER_CLASS) {
        Hyperparameters trial =
            new Hyperparameters(
                FINE_TUNE_TRIAL_EPOCHS,
                hp.batchSize(),
                hp.learningRate(),
                hp.baseLearningRate(),
                1,
                1,
                hp.l2(),
                probe.validationFraction(),
                3,
                hp.seed(),
                ClassifierLoss.SOFTMAX);
        fineTune = fineTuneTrial(request, trial, quiet);
      }
      return StrategyDecision.decide(perClass, top, earlier, fineTune);
    }
  }

  /**
   * Held-out accuracy of a linear classifier on one feature output, averaged over {@link #REPEATS}
   * random splits (a small validation set alone is too noisy to decide on).
   */
  private static double probe(
      OpenModel model,
      Base base,
      String output,
      TrainingRequest request,
      Hyperparameters probe,
      TrainingProgress progress) {
    Output<TFloat32> codes = base.output(output);
    LabelledExamples values =
        FeatureExtraction.codesOf(
            model.session(), base.images(), codes, request.examples(), progress);
    double sum = 0;
    for (int repeat = 0; repeat < REPEATS; repeat++) {
      Hyperparameters split = probe.withSeed(probe.seed() + repeat);
      LabelledExamples.Split data = values.split(split.validationFraction(), split.seed());
      NewHead head =
          new NewHead(
              model.graph(),
              codes,
              FeatureExtraction.standardization(
                  data.train().images().range(0, data.train().count())),
              request.examples().classNames().size(),
              split);
      sum +=
          heldOut(
              fitHead(
                  model.session(),
                  headFitter(model.session(), model.graph(), head),
                  head,
                  data,
                  split,
                  progress));
    }
    return sum / REPEATS;
  }

  /** Held-out accuracy of short fine-tuning runs on the same splits as the probes. */
  private static double fineTuneTrial(
      TrainingRequest request, Hyperparameters trial, TrainingProgress progress) {
    double sum = 0;
    for (int repeat = 0; repeat < REPEATS; repeat++) {
      TrainingRequest attempt =
          request.forTrial().with(Strategy.FINE_TUNE, trial.withSeed(trial.seed() + repeat));
      try (OpenModel model = SavedModels.open(request.baseVersion(), SESSION, request.layers())) {
        sum += heldOut(fit(model, Base.of(model, attempt), attempt, progress).result());
      }
    }
    return sum / REPEATS;
  }

  private static double heldOut(TrainingResult result) {
    return Double.isNaN(result.validationAccuracy())
        ? result.trainAccuracy()
        : result.validationAccuracy();
  }

  /** The base model's feature signature: its image input and its outputs. */
  private record Base(Graph graph, String imageAlias, Output<?> images, SignatureDef features) {

    static Base of(OpenModel model, TrainingRequest request) {
      SignatureDef features = model.signatures().get(request.featureSignature());
      if (features == null
          || features.getInputsCount() != 1
          || !features.getOutputsMap().containsKey(request.topOutput())) {
        throw ServingException.invalid(
            "the base model has no signature '"
                + request.featureSignature()
                + "' with one image input and an output '"
                + request.topOutput()
                + "' to take features from");
      }
      String imageAlias = features.getInputsMap().keySet().iterator().next();
      TensorInfo imageInfo = features.getInputsMap().get(imageAlias);
      Output<?> images = model.graph().outputOrThrow(imageInfo.getName());
      return new Base(model.graph(), imageAlias, images, features);
    }

    @SuppressWarnings("unchecked")
    Output<TFloat32> output(String name) {
      TensorInfo info = features.getOutputsMap().get(name);
      if (info == null) {
        throw ServingException.invalid(
            "the base model's features signature has no output '" + name + "'");
      }
      return (Output<TFloat32>) graph.outputOrThrow(info.getName());
    }
  }

  private static void export(
      Session session,
      Graph graph,
      String imageAlias,
      Output<?> images,
      SignatureDef baseFeatures,
      NewHead head,
      TrainingRequest request) {
    NewHead.Frozen classifier = head.freeze(session);
    Signature.Builder features =
        Signature.builder().key("features").methodName(baseFeatures.getMethodName());
    features.input(imageAlias, images);
    baseFeatures
        .getOutputsMap()
        .forEach((alias, info) -> features.output(alias, graph.outputOrThrow(info.getName())));
    Signature serving =
        Signature.builder()
            .key("serving_default")
            .methodName("tensorflow/serving/predict")
            .input(imageAlias, images)
            .output("probabilities", classifier.probabilities())
            .output("logits", classifier.logits())
            .build();
    try {
      SavedModelBundle.exporter(request.output().toString())
          .withSession(session)
          .withFunction(SessionFunction.create(serving, session))
          .withFunction(SessionFunction.create(features.build(), session))
          .export();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
