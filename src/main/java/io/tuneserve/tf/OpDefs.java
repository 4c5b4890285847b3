package io.tuneserve.tf;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.TensorFlow;
import org.tensorflow.internal.c_api.TF_Buffer;
import org.tensorflow.internal.c_api.global.tensorflow;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.OpList;

/**
 * The definitions of every op the TensorFlow runtime registers: how many tensors each output
 * argument of a node stands for, which is what turns a function body's {@code node:arg:index}
 * references into a graph's {@code node:position}.
 */
final class OpDefs {
  private static volatile Map<String, OpDef> registered;

  private OpDefs() {}

  static Optional<OpDef> of(String op) {
    return Optional.ofNullable(all().get(op));
  }

  private static Map<String, OpDef> all() {
    Map<String, OpDef> defs = registered;
    if (defs == null) {
      synchronized (OpDefs.class) {
        defs = registered;
        if (defs == null) {
          defs = load();
          registered = defs;
        }
      }
    }
    return defs;
  }

  private static Map<String, OpDef> load() {
    TensorFlow.version(); // loads the native library
    TF_Buffer buffer = tensorflow.TF_GetAllOpList();
    try {
      Map<String, OpDef> defs = new HashMap<>();
      for (OpDef def : OpList.parseFrom(buffer.copyData()).getOpList()) {
        defs.put(def.getName(), def);
      }
      return Map.copyOf(defs);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("TensorFlow's op list does not parse", e);
    } finally {
      tensorflow.TF_DeleteBuffer(buffer);
    }
  }

  /**
   * The position, among all of a node's output tensors, of tensor {@code index} of its output
   * argument {@code argument}.
   *
   * @throws IllegalArgumentException when the op has no such argument
   */
  static int outputPosition(OpDef def, NodeDef node, String argument, int index) {
    int position = 0;
    for (OpDef.ArgDef arg : def.getOutputArgList()) {
      if (arg.getName().equals(argument)) {
        return position + index;
      }
      position += length(def, node, arg);
    }
    throw new IllegalArgumentException(
        "op " + def.getName() + " has no output '" + argument + "' (node " + node.getName() + ")");
  }

  /** How many tensors an argument of a node stands for. */
  static int length(OpDef def, NodeDef node, OpDef.ArgDef arg) {
    if (!arg.getNumberAttr().isEmpty()) {
      return Math.toIntExact(attr(def, node, arg.getNumberAttr()).getI());
    }
    if (!arg.getTypeListAttr().isEmpty()) {
      return attr(def, node, arg.getTypeListAttr()).getList().getTypeCount();
    }
    return 1;
  }

  /** A node's attribute, or the op's default for it. */
  static AttrValue attr(OpDef def, NodeDef node, String name) {
    AttrValue value = node.getAttrMap().get(name);
    if (value != null) {
      return value;
    }
    List<OpDef.AttrDef> attrs = def.getAttrList();
    for (OpDef.AttrDef attr : attrs) {
      if (attr.getName().equals(name) && attr.hasDefaultValue()) {
        return attr.getDefaultValue();
      }
    }
    throw new IllegalArgumentException(
        "node " + node.getName() + " (" + def.getName() + ") has no attribute " + name);
  }
}
