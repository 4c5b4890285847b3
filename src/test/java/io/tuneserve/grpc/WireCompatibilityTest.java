package io.tuneserve.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The project's own TensorFlow messages against TensorFlow's (as compiled into TF Java): every
 * field declared here has upstream's number, name, type and label, and every enum has all of
 * upstream's values, so the bytes of any TF Serving client mean the same here.
 */
class WireCompatibilityTest {
  private static void assertSameWire(Descriptor ours, Descriptor upstream) {
    assertThat(ours.getFullName()).isEqualTo(upstream.getFullName());
    for (FieldDescriptor field : ours.getFields()) {
      FieldDescriptor theirs = upstream.findFieldByNumber(field.getNumber());
      String where = ours.getFullName() + "." + field.getName();
      assertThat(theirs).as(where + " exists upstream").isNotNull();
      assertThat(theirs.getName()).as(where).isEqualTo(field.getName());
      assertThat(theirs.getType()).as(where).isEqualTo(field.getType());
      assertThat(theirs.isRepeated()).as(where).isEqualTo(field.isRepeated());
      assertThat(theirs.isPacked()).as(where + " packed").isEqualTo(field.isPacked());
      assertThat(theirs.isMapField()).as(where).isEqualTo(field.isMapField());
      if (field.getType() == FieldDescriptor.Type.MESSAGE) {
        assertSameWire(field.getMessageType(), theirs.getMessageType());
      }
      if (field.getType() == FieldDescriptor.Type.ENUM) {
        assertAllValues(field.getEnumType(), theirs.getEnumType());
      }
    }
  }

  private static void assertAllValues(EnumDescriptor ours, EnumDescriptor upstream) {
    assertThat(ours.getFullName()).isEqualTo(upstream.getFullName());
    for (EnumValueDescriptor value : upstream.getValues()) {
      EnumValueDescriptor mine = ours.findValueByNumber(value.getNumber());
      assertThat(mine).as(upstream.getFullName() + " " + value.getName()).isNotNull();
      assertThat(mine.getName()).isEqualTo(value.getName());
    }
  }

  @Test
  void tensorflowMessagesMeanTheSameOnTheWire() {
    List<Descriptor[]> pairs =
        List.of(
            new Descriptor[] {
              io.tuneserve.grpc.proto.tensorflow.TensorProto.getDescriptor(),
              org.tensorflow.proto.TensorProto.getDescriptor()
            },
            new Descriptor[] {
              io.tuneserve.grpc.proto.tensorflow.SignatureDef.getDescriptor(),
              org.tensorflow.proto.SignatureDef.getDescriptor()
            },
            new Descriptor[] {
              io.tuneserve.grpc.proto.tensorflow.Example.getDescriptor(),
              org.tensorflow.proto.Example.getDescriptor()
            });
    for (Descriptor[] pair : pairs) {
      assertSameWire(pair[0], pair[1]);
    }
    assertAllValues(
        io.tuneserve.grpc.proto.tensorflow.DataType.getDescriptor(),
        org.tensorflow.proto.DataType.getDescriptor());
    assertAllValues(
        io.tuneserve.grpc.proto.tensorflow.Code.getDescriptor(),
        org.tensorflow.proto.error.Code.getDescriptor());
  }

  @Test
  void aTensorWrittenByTensorFlowReadsTheSameHere() throws Exception {
    org.tensorflow.proto.TensorProto theirs =
        org.tensorflow.proto.TensorProto.newBuilder()
            .setDtype(org.tensorflow.proto.DataType.DT_FLOAT)
            .setTensorShape(
                org.tensorflow.proto.TensorShapeProto.newBuilder()
                    .addDim(org.tensorflow.proto.TensorShapeProto.Dim.newBuilder().setSize(2))
                    .addDim(org.tensorflow.proto.TensorShapeProto.Dim.newBuilder().setSize(1)))
            .addFloatVal(1.5f)
            .addFloatVal(-2f)
            .build();
    io.tuneserve.grpc.proto.tensorflow.TensorProto ours =
        io.tuneserve.grpc.proto.tensorflow.TensorProto.parseFrom(theirs.toByteArray());
    assertThat(ours.getDtype()).isEqualTo(io.tuneserve.grpc.proto.tensorflow.DataType.DT_FLOAT);
    assertThat(ours.getTensorShape().getDimList())
        .extracting(io.tuneserve.grpc.proto.tensorflow.TensorShapeProto.Dim::getSize)
        .containsExactly(2L, 1L);
    assertThat(ours.getFloatValList()).containsExactly(1.5f, -2f);
    assertThat(ours.toByteArray()).isEqualTo(theirs.toByteArray());
  }
}
