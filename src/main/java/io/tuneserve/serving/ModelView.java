package io.tuneserve.serving;

import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.repository.ModelSettings;
import java.util.Map;

/** What a request decoder may know of the version it targets. */
public interface ModelView {
  String name();

  long version();

  ModelSettings settings();

  Map<String, SignatureSpec> signatures();

  /** The named signature, or an invalid-argument error that lists the ones there are. */
  default SignatureSpec signature(String key) {
    SignatureSpec spec = signatures().get(key);
    if (spec == null) {
      throw ServingException.invalid(
          "Serving signature key \""
              + key
              + "\" not found; the model has "
              + signatures().keySet().stream().sorted().toList());
    }
    spec.unsupportedTensor()
        .ifPresent(
            t -> {
              throw ServingException.invalid(
                  "signature "
                      + key
                      + " uses "
                      + t.tfType()
                      + " for '"
                      + t.name()
                      + "', which the server cannot carry");
            });
    return spec;
  }
}
