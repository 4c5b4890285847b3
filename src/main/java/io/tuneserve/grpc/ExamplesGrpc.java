package io.tuneserve.grpc;

import com.google.protobuf.Int64Value;
import io.tuneserve.grpc.proto.serving.Class;
import io.tuneserve.grpc.proto.serving.ClassificationRequest;
import io.tuneserve.grpc.proto.serving.ClassificationResponse;
import io.tuneserve.grpc.proto.serving.ClassificationResult;
import io.tuneserve.grpc.proto.serving.Classifications;
import io.tuneserve.grpc.proto.serving.InferenceResult;
import io.tuneserve.grpc.proto.serving.InferenceTask;
import io.tuneserve.grpc.proto.serving.Input;
import io.tuneserve.grpc.proto.serving.ModelSpec;
import io.tuneserve.grpc.proto.serving.MultiInferenceRequest;
import io.tuneserve.grpc.proto.serving.MultiInferenceResponse;
import io.tuneserve.grpc.proto.serving.Regression;
import io.tuneserve.grpc.proto.serving.RegressionRequest;
import io.tuneserve.grpc.proto.serving.RegressionResponse;
import io.tuneserve.grpc.proto.serving.RegressionResult;
import io.tuneserve.grpc.proto.tensorflow.Example;
import io.tuneserve.inference.ExampleSignatures;
import io.tuneserve.inference.InferenceService;
import io.tuneserve.model.RequestScope;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;

/**
 * TF Serving's {@code Classify}, {@code Regress} and {@code MultiInference}: the request's {@code
 * tf.Example}s (each merged over the context where one is given, as TF Serving does) fed serialized
 * to a classify or regress signature, through the one inference path.
 */
final class ExamplesGrpc {
  private final Vertx vertx;
  private final InferenceService inference;
  private final Function<ModelSpec, OptionalLong> versions;

  /**
   * @param versions the version a spec names, checked (the model is {@link
   *     TfServingGrpc#model(ModelSpec)})
   */
  ExamplesGrpc(
      Vertx vertx, InferenceService inference, Function<ModelSpec, OptionalLong> versions) {
    this.vertx = vertx;
    this.inference = inference;
    this.versions = versions;
  }

  /** The examples of an input, serialized; a context's features under each example's own. */
  static byte[][] serialized(Input input) {
    List<Example> examples;
    byte[] context = new byte[0];
    switch (input.getKindCase()) {
      case EXAMPLE_LIST -> examples = input.getExampleList().getExamplesList();
      case EXAMPLE_LIST_WITH_CONTEXT -> {
        examples = input.getExampleListWithContext().getExamplesList();
        context = input.getExampleListWithContext().getContext().toByteArray();
      }
      default -> throw ServingException.invalid("Input is empty: it holds no example_list");
    }
    if (examples.isEmpty()) {
      throw ServingException.invalid("Input is empty: example_list holds no examples");
    }
    byte[][] serialized = new byte[examples.size()][];
    for (int i = 0; i < serialized.length; i++) {
      byte[] example = examples.get(i).toByteArray();
      // Concatenated messages parse as one merged message: the example's features win.
      byte[] merged = new byte[context.length + example.length];
      System.arraycopy(context, 0, merged, 0, context.length);
      System.arraycopy(example, 0, merged, context.length, example.length);
      serialized[i] = merged;
    }
    return serialized;
  }

  private Future<io.tuneserve.inference.InferenceResult> run(
      ModelSpec spec, boolean classify, byte[][] examples, RequestScope scope) {
    String key =
        spec.getSignatureName().isEmpty() ? SignatureSpec.DEFAULT_KEY : spec.getSignatureName();
    return Future.fromCompletionStage(
        inference.infer(
            TfServingGrpc.model(spec),
            versions.apply(spec),
            view -> ExampleSignatures.decode(view, key, classify, examples),
            scope),
        vertx.getOrCreateContext());
  }

  private static ModelSpec answered(io.tuneserve.inference.InferenceResult result) {
    return ModelSpec.newBuilder()
        .setName(result.version().name())
        .setVersion(Int64Value.of(result.version().version()))
        .setSignatureName(result.signature().key())
        .build();
  }

  private static ClassificationResult classification(
      io.tuneserve.inference.InferenceResult result, int count) {
    ClassificationResult.Builder classifications = ClassificationResult.newBuilder();
    for (List<ExampleSignatures.Scored> example :
        ExampleSignatures.classifications(result, count)) {
      Classifications.Builder classes = Classifications.newBuilder();
      for (ExampleSignatures.Scored scored : example) {
        classes.addClasses(Class.newBuilder().setLabel(scored.label()).setScore(scored.score()));
      }
      classifications.addClassifications(classes);
    }
    return classifications.build();
  }

  private static RegressionResult regression(
      io.tuneserve.inference.InferenceResult result, int count) {
    RegressionResult.Builder regressions = RegressionResult.newBuilder();
    for (float value : ExampleSignatures.regressions(result, count)) {
      regressions.addRegressions(Regression.newBuilder().setValue(value));
    }
    return regressions.build();
  }

  Future<ClassificationResponse> classify(ClassificationRequest message, RequestScope scope) {
    byte[][] examples = serialized(message.getInput());
    return run(message.getModelSpec(), true, examples, scope)
        .map(
            result ->
                ClassificationResponse.newBuilder()
                    .setModelSpec(answered(result))
                    .setResult(classification(result, examples.length))
                    .build());
  }

  Future<RegressionResponse> regress(RegressionRequest message, RequestScope scope) {
    byte[][] examples = serialized(message.getInput());
    return run(message.getModelSpec(), false, examples, scope)
        .map(
            result ->
                RegressionResponse.newBuilder()
                    .setModelSpec(answered(result))
                    .setResult(regression(result, examples.length))
                    .build());
  }

  /**
   * Several classify and regress tasks of one model on the same examples; each task names its
   * signature, no two the same one.
   */
  Future<MultiInferenceResponse> multiInference(MultiInferenceRequest message, RequestScope scope) {
    if (message.getTasksCount() == 0) {
      throw ServingException.invalid("MultiInferenceRequest names no tasks");
    }
    byte[][] examples = serialized(message.getInput());
    String model = TfServingGrpc.model(message.getTasks(0).getModelSpec());
    Set<String> signatures = new HashSet<>();
    List<Future<InferenceResult>> results = new ArrayList<>();
    for (InferenceTask task : message.getTasksList()) {
      if (!TfServingGrpc.model(task.getModelSpec()).equals(model)) {
        throw ServingException.invalid(
            "All ModelSpecs in a MultiInferenceRequest must access the same model name");
      }
      if (!signatures.add(task.getModelSpec().getSignatureName())) {
        throw ServingException.invalid(
            "Duplicate evaluation of signature: " + task.getModelSpec().getSignatureName());
      }
      boolean classify =
          switch (task.getMethodName()) {
            case ExampleSignatures.CLASSIFY_METHOD -> true;
            case ExampleSignatures.REGRESS_METHOD -> false;
            default ->
                throw ServingException.invalid(
                    "Unsupported signature method_name: "
                        + task.getMethodName()
                        + " (MultiInference runs "
                        + ExampleSignatures.CLASSIFY_METHOD
                        + " and "
                        + ExampleSignatures.REGRESS_METHOD
                        + ")");
          };
      results.add(
          run(task.getModelSpec(), classify, examples, scope)
              .map(
                  result -> {
                    InferenceResult.Builder answer =
                        InferenceResult.newBuilder().setModelSpec(answered(result));
                    return classify
                        ? answer
                            .setClassificationResult(classification(result, examples.length))
                            .build()
                        : answer.setRegressionResult(regression(result, examples.length)).build();
                  }));
    }
    return Future.all(results)
        .map(
            all -> {
              MultiInferenceResponse.Builder response = MultiInferenceResponse.newBuilder();
              for (Future<InferenceResult> result : results) {
                response.addResults(result.result());
              }
              return response.build();
            });
  }
}
