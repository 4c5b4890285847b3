package io.tuneserve.tf;

import io.tuneserve.model.FeatureLayers;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operation;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedObject;
import org.tensorflow.proto.SignatureDef;

/**
 * Opens SavedModels with the "serve" tag. A model whose signatures are computed by function calls
 * (a TF2 / Keras export) is opened in a second graph in which those functions are inlined and its
 * resource variables are graph variables holding the values TensorFlow restored ({@link
 * FunctionInlining}, {@link GraphVariables}), so its layers can be fetched and trained; the second
 * graph is kept only if it gives the same outputs as the SavedModel on the same input ({@link
 * SameOutputs}). Otherwise the SavedModel serves as it is, with a note saying why.
 */
final class SavedModels {
  private SavedModels() {}

  /**
   * Opens a SavedModel, with the features signature {@code layers} asks for (see {@link
   * FeatureSignature}).
   *
   * @throws IllegalArgumentException when {@code layers} names a layer the model does not have
   */
  static OpenModel open(Path directory, ConfigProto config, FeatureLayers layers) {
    OpenModel model = openGraph(directory, config);
    if (!model.layersInline()) {
      return model;
    }
    try {
      FeatureSignature.Result features =
          FeatureSignature.add(
              model.graph(), model.graph().toGraphDef(), model.signatures(), layers);
      return model.with(features.signatures(), features.note());
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  private static OpenModel openGraph(Path directory, ConfigProto config) {
    SavedModelBundle bundle =
        SavedModelBundle.loader(directory.toString())
            .withTags(SavedModelBundle.DEFAULT_TAG)
            .withConfigProto(config)
            .load();
    Map<String, SignatureDef> signatures = bundle.metaGraphDef().getSignatureDefMap();
    GraphDef graph = bundle.metaGraphDef().getGraphDef();
    Set<String> tensors = signatureTensors(signatures);
    if (!FunctionInlining.callsFunctions(graph, tensors)) {
      return new OpenModel(
          bundle.graph(), bundle.session(), signatures, untrainable(bundle), true, "", bundle);
    }
    try {
      OpenModel inlined = inline(bundle, graph, tensors, config);
      bundle.close();
      return inlined;
    } catch (IllegalArgumentException | TensorFlowException e) {
      return new OpenModel(
          bundle.graph(),
          bundle.session(),
          signatures,
          untrainable(bundle),
          false,
          "its functions were not inlined: " + Messages.firstLine(e.getMessage()),
          bundle);
    }
  }

  /**
   * The variables the SavedModel's object graph marks as not trainable (batch normalisation's
   * moving statistics, optimizer state, counters), by name.
   */
  private static Set<String> untrainable(SavedModelBundle bundle) {
    Set<String> names = new HashSet<>();
    for (SavedObject object : bundle.metaGraphDef().getObjectGraphDef().getNodesList()) {
      if (object.hasVariable() && !object.getVariable().getTrainable()) {
        names.add(object.getVariable().getName());
      }
    }
    return Set.copyOf(names);
  }

  /** The inputs and outputs of every signature a client can call. */
  private static Set<String> signatureTensors(Map<String, SignatureDef> signatures) {
    Set<String> tensors = new LinkedHashSet<>();
    signatures.forEach(
        (key, signature) -> {
          if (!key.startsWith("__")) {
            signature.getInputsMap().values().forEach(info -> tensors.add(info.getName()));
            signature.getOutputsMap().values().forEach(info -> tensors.add(info.getName()));
          }
        });
    return tensors;
  }

  private static OpenModel inline(
      SavedModelBundle bundle, GraphDef original, Set<String> tensors, ConfigProto config) {
    GraphVariables.Converted converted =
        GraphVariables.convert(FunctionInlining.inline(original, tensors), tensors);
    Graph graph = new Graph();
    Session session = null;
    try {
      graph.importGraphDef(converted.graph());
      session = new Session(graph, config);
      copyValues(bundle, converted.variables(), graph, session);
      Map<String, SignatureDef> signatures = bundle.metaGraphDef().getSignatureDefMap();
      SameOutputs.check(original, bundle.session(), session, signatures);
      Session opened = session;
      return new OpenModel(
          graph,
          session,
          signatures,
          untrainable(bundle),
          true,
          "inlined "
              + (original.getLibrary().getFunctionCount()
                  - converted.graph().getLibrary().getFunctionCount())
              + " functions; "
              + converted.variables().size()
              + " variables",
          () -> {
            opened.close();
            graph.close();
          });
    } catch (RuntimeException e) {
      if (session != null) {
        session.close();
      }
      graph.close();
      throw e;
    }
  }

  /**
   * Sets every variable of {@code graph} to the value the bundle's session restored for the
   * variable of the same name.
   */
  private static void copyValues(
      SavedModelBundle bundle,
      List<GraphVariables.Variable> variables,
      Graph graph,
      Session session) {
    if (variables.isEmpty()) {
      return;
    }
    Session.Runner read = bundle.session().runner();
    for (GraphVariables.Variable variable : variables) {
      GraphOperation handle = bundle.graph().operation(variable.name());
      read.fetch(
          bundle
              .graph()
              .opBuilder(
                  "ReadVariableOp", variable.name() + "/value_to_copy", bundle.graph().baseScope())
              .addInput(handle.output(0))
              .setAttr("dtype", variable.type())
              .build()
              .output(0));
    }
    try (Result values = read.run()) {
      Session.Runner write = session.runner();
      for (int i = 0; i < variables.size(); i++) {
        GraphVariables.Variable variable = variables.get(i);
        Operation value =
            graph
                .opBuilder("Placeholder", variable.name() + "/saved_value", graph.baseScope())
                .setAttr("dtype", variable.type())
                .setAttr("shape", variable.shape())
                .build();
        Operation assign =
            graph
                .opBuilder("Assign", variable.name() + "/assign_saved_value", graph.baseScope())
                .addInput(graph.operation(variable.name()).output(0))
                .addInput(value.output(0))
                .build();
        write.feed(value.output(0), values.get(i)).addTarget(assign);
      }
      write.run().close();
    }
  }
}
