package io.tuneserve.grpc;

import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import io.tuneserve.grpc.proto.serving.ModelSpec;
import io.tuneserve.model.ServingException;
import io.tuneserve.repository.ModelNames;
import java.util.OptionalLong;

/** The model names and version strings gRPC requests carry, checked as the HTTP paths are. */
final class GrpcNames {
  static final String NO_MODEL = "the request names no model";

  private GrpcNames() {}

  /** A model name; {@code missing} is the message when it is empty. */
  static String model(String name, String missing) {
    if (name.isEmpty()) {
      throw ServingException.invalid(missing);
    }
    if (!ModelNames.isValidName(name)) {
      throw ServingException.invalid(
          "model name '" + name + "' may hold only letters, digits, '_', '-' and '.'");
    }
    return name;
  }

  /** The model and version a request names, as counted in metrics: empty where it names none. */
  record Target(String model, String version) {
    static final Target NONE = new Target("", "");
  }

  /**
   * The model and version of any of the services' requests: its {@code model_spec} (TF Serving),
   * {@code model_name} and {@code model_version}, or {@code name} and {@code version} (the Open
   * Inference Protocol's).
   */
  static Target target(Object request) {
    if (!(request instanceof Message message)) {
      return Target.NONE;
    }
    Descriptors.Descriptor type = message.getDescriptorForType();
    Descriptors.FieldDescriptor spec = type.findFieldByName("model_spec");
    if (spec != null && spec.getJavaType() == Descriptors.FieldDescriptor.JavaType.MESSAGE) {
      if (message.getField(spec) instanceof ModelSpec named) {
        return new Target(
            named.getName(),
            named.hasVersion() ? Long.toString(named.getVersion().getValue()) : "");
      }
      return Target.NONE;
    }
    Descriptors.FieldDescriptor name = type.findFieldByName("model_name");
    Descriptors.FieldDescriptor version = type.findFieldByName("model_version");
    if (name == null) {
      name = type.findFieldByName("name");
      version = type.findFieldByName("version");
    }
    return new Target(text(message, name), text(message, version));
  }

  private static String text(Message message, Descriptors.FieldDescriptor field) {
    return field != null
            && !field.isRepeated()
            && field.getJavaType() == Descriptors.FieldDescriptor.JavaType.STRING
        ? (String) message.getField(field)
        : "";
  }

  /** A version string: empty for the model's default, else a positive number. */
  static OptionalLong version(String version) {
    if (version.isEmpty()) {
      return OptionalLong.empty();
    }
    if (!ModelNames.isValidVersion(version)) {
      throw ServingException.invalid("version '" + version + "' is not a positive integer");
    }
    return OptionalLong.of(Long.parseLong(version));
  }
}
