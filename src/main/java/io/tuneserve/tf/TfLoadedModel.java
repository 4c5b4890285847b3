package io.tuneserve.tf;

import io.tuneserve.model.DType;
import io.tuneserve.model.ErrorKind;
import io.tuneserve.model.Layer;
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
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TFFailedPreconditionException;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.exceptions.TFOutOfRangeException;
import org.tensorflow.exceptions.TFUnimplementedException;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/** A SavedModel held open with its session; runs signatures by feeding and fetching tensors. */
final class TfLoadedModel implements LoadedModel {
  private final OpenModel model;
  private final Map<String, SignatureSpec> signatures;
  private final long sizeBytes;
  private final ShapeInference shapes;
  private final Map<String, String> writes;
  private final List<Layer> layers;

  TfLoadedModel(OpenModel model, long sizeBytes) {
    this.model = model;
    this.sizeBytes = sizeBytes;
    this.shapes = new ShapeInference(() -> model.graph().toGraphDef());
    Map<String, SignatureSpec> specs = new LinkedHashMap<>();
    model
        .signatures()
        .forEach(
            (key, def) ->
                specs.put(
                    key,
                    new SignatureSpec(
                        key,
                        def.getMethodName(),
                        specsOf(model.graph(), def.getInputsMap()),
                        specsOf(model.graph(), def.getOutputsMap()))));
    this.signatures = Map.copyOf(specs);
    GraphDef graph = model.graph().toGraphDef();
    Map<String, String> writing = new LinkedHashMap<>();
    for (SignatureSpec signature : signatures.values()) {
      List<String> outputs =
          signature.outputs().values().stream().map(TensorSpec::tensorName).toList();
      String write =
          signature.key().startsWith("__")
              ? "the SavedModel loader's own signature, run as the model loaded"
              : GraphWrites.firstWrite(graph, outputs);
      if (write != null) {
        writing.put(signature.key(), write);
      }
    }
    this.writes = Map.copyOf(writing);
    this.layers = model.layersInline() ? layersOf(model, graph) : List.of();
  }

  private static List<Layer> layersOf(OpenModel model, GraphDef graph) {
    SignatureDef serving = model.signatures().get(SignatureSpec.DEFAULT_KEY);
    if (serving == null) {
      return List.of();
    }
    LayerCatalog catalog = new LayerCatalog(model.graph(), graph);
    String output = FeatureSignature.classificationOutput(serving, catalog);
    return output == null ? List.of() : List.copyOf(catalog.layers(output));
  }

  @Override
  public List<Layer> layers() {
    return layers;
  }

  @Override
  public String loadNote() {
    return model.note();
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
      Session.Runner runner = model.session().runner();
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
    } catch (TFInvalidArgumentException
        | TFOutOfRangeException
        | TFFailedPreconditionException
        | TFUnimplementedException e) {
      // A kernel that cannot take this input (e.g. a grouped convolution on a channel count the
      // model was not built for) is the input's fault, as an invalid one is.
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
    model.close();
  }
}
