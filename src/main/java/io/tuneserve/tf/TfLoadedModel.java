package io.tuneserve.tf;

import io.tuneserve.model.DType;
import io.tuneserve.model.ErrorKind;
import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.model.TensorSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TFFailedPreconditionException;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.exceptions.TFOutOfRangeException;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/** A SavedModel held open with its session; runs signatures by feeding and fetching tensors. */
final class TfLoadedModel implements LoadedModel {
  private final SavedModelBundle bundle;
  private final Map<String, SignatureSpec> signatures;
  private final long sizeBytes;
  private final ShapeInference shapes;
  private final Map<String, String> writes;

  TfLoadedModel(SavedModelBundle bundle, long sizeBytes) {
    this.bundle = bundle;
    this.sizeBytes = sizeBytes;
    this.shapes = new ShapeInference(() -> bundle.graph().toGraphDef());
    Map<String, SignatureSpec> specs = new LinkedHashMap<>();
    bundle
        .metaGraphDef()
        .getSignatureDefMap()
        .forEach(
            (key, def) ->
                specs.put(
                    key,
                    new SignatureSpec(
                        key,
                        def.getMethodName(),
                        specsOf(bundle.graph(), def.getInputsMap()),
                        specsOf(bundle.graph(), def.getOutputsMap()))));
    this.signatures = Map.copyOf(specs);
    GraphDef graph = bundle.graph().toGraphDef();
    Map<String, String> writing = new LinkedHashMap<>();
    for (SignatureSpec signature : signatures.values()) {
      List<String> outputs =
          signature.outputs().values().stream().map(TensorSpec::tensorName).toList();
      String write = GraphWrites.firstWrite(graph, outputs);
      if (write != null) {
        writing.put(signature.key(), write);
      }
    }
    this.writes = Map.copyOf(writing);
  }

  private static Map<String, TensorSpec> specsOf(Graph graph, Map<String, TensorInfo> tensors) {
    Map<String, TensorSpec> specs = new LinkedHashMap<>();
    tensors.forEach(
        (alias, info) -> {
          TensorShapeProto shape = info.getTensorShape();
          long[] declared =
              shape.getUnknownRank()
                  ? null
                  : shape.getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize).toArray();
          specs.put(
              alias,
              new TensorSpec(
                  alias,
                  info.getName(),
                  DType.fromTfName(info.getDtype().name()).orElse(null),
                  info.getDtype().name(),
                  declared,
                  graphShape(graph, info.getName())));
        });
    return specs;
  }

  /** The static shape the graph gives a tensor; null when it is unknown or not found. */
  private static long[] graphShape(Graph graph, String tensorName) {
    try {
      Shape shape = graph.outputOrThrow(tensorName).shape();
      return shape.isUnknown() ? null : shape.asArray();
    } catch (RuntimeException e) {
      return null;
    }
  }

  @Override
  public Map<String, SignatureSpec> signatures() {
    return signatures;
  }

  @Override
  public Optional<String> writes(String signature) {
    return Optional.ofNullable(writes.get(signature));
  }

  @Override
  public Optional<String> shapeRefusal(String signatureKey, Map<String, long[]> inputShapes) {
    SignatureSpec signature = signatures.get(signatureKey);
    if (signature == null) {
      return Optional.of("no signature " + signatureKey);
    }
    return shapes.refusal(signature, inputShapes);
  }

  @Override
  public long sizeBytes() {
    return sizeBytes;
  }

  @Override
  public Map<String, TensorData> run(
      String signatureKey, Map<String, TensorData> inputs, Set<String> outputs) {
    SignatureSpec signature = signatures.get(signatureKey);
    if (signature == null) {
      throw ServingException.notFound("no signature " + signatureKey);
    }
    List<Tensor> fed = new ArrayList<>(inputs.size());
    try {
      Session.Runner runner = bundle.session().runner();
      for (Map.Entry<String, TensorData> input : inputs.entrySet()) {
        TensorSpec spec = signature.inputs().get(input.getKey());
        Tensor tensor = TensorConverter.toTensor(input.getValue());
        fed.add(tensor);
        runner.feed(spec.tensorName(), tensor);
      }
      List<String> fetched = new ArrayList<>(outputs);
      for (String output : fetched) {
        runner.fetch(signature.outputs().get(output).tensorName());
      }
      try (Result result = runner.run()) {
        Map<String, TensorData> values = new LinkedHashMap<>();
        for (int i = 0; i < fetched.size(); i++) {
          values.put(fetched.get(i), TensorConverter.fromTensor(result.get(i)));
        }
        return values;
      }
    } catch (TFInvalidArgumentException | TFOutOfRangeException | TFFailedPreconditionException e) {
      throw new ServingException(ErrorKind.INVALID_ARGUMENT, Messages.firstLine(e.getMessage()), e);
    } catch (ServingException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new ServingException(
          ErrorKind.INTERNAL, "model execution failed: " + Messages.firstLine(e.getMessage()), e);
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  @Override
  public void close() {
    bundle.close();
  }
}
