package io.tuneserve.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tuneserve.grpc.proto.serving.ClassificationRequest;
import io.tuneserve.grpc.proto.serving.ClassificationResponse;
import io.tuneserve.grpc.proto.serving.ExampleList;
import io.tuneserve.grpc.proto.serving.ExampleListWithContext;
import io.tuneserve.grpc.proto.serving.InferenceTask;
import io.tuneserve.grpc.proto.serving.Input;
import io.tuneserve.grpc.proto.serving.ModelSpec;
import io.tuneserve.grpc.proto.serving.MultiInferenceRequest;
import io.tuneserve.grpc.proto.serving.MultiInferenceResponse;
import io.tuneserve.grpc.proto.serving.PredictionServiceGrpc;
import io.tuneserve.grpc.proto.serving.RegressionRequest;
import io.tuneserve.grpc.proto.tensorflow.Example;
import io.tuneserve.grpc.proto.tensorflow.Feature;
import io.tuneserve.grpc.proto.tensorflow.Features;
import io.tuneserve.grpc.proto.tensorflow.FloatList;
import io.tuneserve.testing.TestData;
import io.tuneserve.testing.TestServer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Classify, Regress and MultiInference over gRPC on TF Serving's own half_plus_two (from
 * ../shared/testdata/tfserving/), with the answers TF Serving's tests expect.
 */
class GrpcExamplesTest {
  private static Example example(String feature, float value) {
    return Example.newBuilder()
        .setFeatures(
            Features.newBuilder()
                .putFeature(
                    feature,
                    Feature.newBuilder()
                        .setFloatList(FloatList.newBuilder().addValue(value))
                        .build()))
        .build();
  }

  private static Input examples(Example... examples) {
    return Input.newBuilder()
        .setExampleList(ExampleList.newBuilder().addAllExamples(java.util.List.of(examples)))
        .build();
  }

  private static ModelSpec spec(String signature) {
    return ModelSpec.newBuilder().setName("half_plus_two").setSignatureName(signature).build();
  }

  @Test
  void classifyRegressAndMultiInferenceAnswerAsTfServingDoes() throws Exception {
    try (TestServer server =
        new TestServer()
            .withVersion("half_plus_two", 123, TestData.tfServingHalfPlusTwo())
            .start()) {
      ManagedChannel channel =
          ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      try {
        PredictionServiceGrpc.PredictionServiceBlockingStub stub =
            PredictionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        assertThat(
                stub.regress(
                        RegressionRequest.newBuilder()
                            .setModelSpec(spec("regress_x_to_y"))
                            .setInput(examples(example("x", 80f), example("x", 2f)))
                            .build())
                    .getResult()
                    .getRegressionsList())
            .extracting(r -> r.getValue())
            .containsExactly(42f, 3f);
        ClassificationResponse classified =
            stub.classify(
                ClassificationRequest.newBuilder()
                    .setModelSpec(spec("classify_x_to_y"))
                    .setInput(examples(example("x", 20f)))
                    .build());
        assertThat(classified.getModelSpec().getVersion().getValue()).isEqualTo(123);
        assertThat(classified.getResult().getClassifications(0).getClasses(0).getScore())
            .isEqualTo(12f);

        // A context's features fill in what an example lacks; the example's own win.
        Input withContext =
            Input.newBuilder()
                .setExampleListWithContext(
                    ExampleListWithContext.newBuilder()
                        .setContext(example("x", 10f))
                        .addExamples(Example.getDefaultInstance())
                        .addExamples(example("x", 4f)))
                .build();
        assertThat(
                stub.regress(
                        RegressionRequest.newBuilder()
                            .setModelSpec(spec("regress_x_to_y"))
                            .setInput(withContext)
                            .build())
                    .getResult()
                    .getRegressionsList())
            .extracting(r -> r.getValue())
            .containsExactly(7f, 4f);

        MultiInferenceResponse multi =
            stub.multiInference(
                MultiInferenceRequest.newBuilder()
                    .addTasks(
                        InferenceTask.newBuilder()
                            .setModelSpec(spec("classify_x_to_y"))
                            .setMethodName("tensorflow/serving/classify"))
                    .addTasks(
                        InferenceTask.newBuilder()
                            .setModelSpec(spec("regress_x_to_y"))
                            .setMethodName("tensorflow/serving/regress"))
                    .setInput(examples(example("x", 20f)))
                    .build());
        assertThat(
                multi
                    .getResults(0)
                    .getClassificationResult()
                    .getClassifications(0)
                    .getClasses(0)
                    .getScore())
            .isEqualTo(12f);
        assertThat(multi.getResults(1).getRegressionResult().getRegressions(0).getValue())
            .isEqualTo(12f);

        for (Runnable bad :
            java.util.List.<Runnable>of(
                () ->
                    stub.regress(
                        RegressionRequest.newBuilder()
                            .setModelSpec(spec("regress_x_to_y"))
                            .build()),
                () ->
                    stub.classify(
                        ClassificationRequest.newBuilder()
                            .setModelSpec(spec("regress_x_to_y"))
                            .setInput(examples(example("x", 1f)))
                            .build()),
                () ->
                    stub.multiInference(
                        MultiInferenceRequest.newBuilder()
                            .addTasks(
                                InferenceTask.newBuilder()
                                    .setModelSpec(spec("serving_default"))
                                    .setMethodName("tensorflow/serving/predict"))
                            .setInput(examples(example("x", 1f)))
                            .build()))) {
          assertThatThrownBy(bad::run)
              .isInstanceOfSatisfying(
                  StatusRuntimeException.class,
                  e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
        }
      } finally {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }
    }
  }
}
