package io.tuneserve.tf;

import io.tuneserve.model.ServingException;
import io.tuneserve.model.TensorData;
import io.tuneserve.training.Hyperparameters;
import io.tuneserve.training.Phase;
import io.tuneserve.training.Trainer;
import io.tuneserve.training.TrainingProgress;
import io.tuneserve.training.TrainingRequest;
import io.tuneserve.training.TrainingResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
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

  @Override
  public TrainingResult train(TrainingRequest request, TrainingProgress progress) {
    progress.phase(Phase.PREPARING);
    try (SavedModelBundle bundle =
        SavedModelBundle.load(request.baseVersion().toString(), "serve")) {
      SignatureDef features =
          bundle.metaGraphDef().getSignatureDefMap().get(request.featureSignature());
      if (features == null
          || features.getInputsCount() != 1
          || !features.getOutputsMap().containsKey(request.featureOutput())) {
        throw ServingException.invalid(
            "the base model has no signature '"
                + request.featureSignature()
                + "' with one image"
                + " input and an output '"
                + request.featureOutput()
                + "' to take features from");
      }
      String imageAlias = features.getInputsMap().keySet().iterator().next();
      TensorInfo imageInfo = features.getInputsMap().get(imageAlias);
      Graph graph = bundle.graph();
      Session session = bundle.session();
      @SuppressWarnings("unchecked")
      Output<TFloat32> images = (Output<TFloat32>) graph.outputOrThrow(imageInfo.getName());
      @SuppressWarnings("unchecked")
      Output<TFloat32> codes =
          (Output<TFloat32>)
              graph.outputOrThrow(features.getOutputsMap().get(request.featureOutput()).getName());
      Hyperparameters hp = request.hyperparameters();
      int classes = request.examples().classNames().size();
      int[] labels = request.examples().labels();
      TrainingResult result;
      NewHead head;
      switch (request.strategy()) {
        case FEATURE_EXTRACTOR, EARLIER_LAYER_FEATURES -> {
          TensorData codeValues =
              FeatureExtraction.codes(
                  session, images, codes, request.examples().images(), progress);
          head = new NewHead(graph, codes, (int) codeValues.dim(1), classes, hp);
          Fitter.Stage stage =
              new Fitter.Stage(
                  head.trainOp(List.of(head.variables())), new double[] {hp.learningRate()});
          session.initialize();
          progress.phase(Phase.TRAINING);
          result =
              new Fitter(
                      session,
                      head,
                      codes,
                      codeValues,
                      labels,
                      new VariableValues(graph, head.variables()))
                  .fit(hp, null, stage, progress);
        }
        case FINE_TUNE -> {
          List<Operand<TFloat32>> tuned =
              TrainableBlocks.feeding(graph, codes).unfrozen(hp.frozenBlocks());
          int dimension = (int) codes.shape().get(codes.shape().numDimensions() - 1);
          if (dimension < 1) {
            dimension =
                (int)
                    FeatureExtraction.codes(
                            session,
                            images,
                            codes,
                            request.examples().images().rows(0, 1),
                            progress)
                        .dim(1);
          }
          head = new NewHead(graph, codes, dimension, classes, hp);
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
          result =
              new Fitter(
                      session,
                      head,
                      images,
                      request.examples().images(),
                      labels,
                      new VariableValues(graph, trained))
                  .fit(hp, warmUp, full, progress);
        }
        default ->
            throw ServingException.invalid("strategy " + request.strategy() + " is not supported");
      }
      progress.phase(Phase.EVALUATING);
      progress.phase(Phase.PUBLISHING);
      export(session, graph, imageAlias, images, features, head, request);
      return result;
    }
  }

  private static void export(
      Session session,
      Graph graph,
      String imageAlias,
      Output<TFloat32> images,
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
