package io.tuneserve.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.types.TFloat32;

/** Writes the demo ConvNet's weights as raw little-endian float32 files for the PyTorch peer. */
final class ExportWeights {
  static final List<String> VARIABLES =
      List.of(
          "block1/kernel", "block1/bias", "block2/kernel", "block2/bias", "fc/kernel", "fc/bias",
          "head/kernel", "head/bias");

  private ExportWeights() {}

  static void export(Path savedModel, Path out) throws IOException {
    Files.createDirectories(out);
    Map<String, long[]> shapes = new LinkedHashMap<>();
    try (SavedModelBundle bundle = SavedModelBundle.load(savedModel.toString(), "serve")) {
      for (String name : VARIABLES) {
        try (Result result = bundle.session().runner().fetch(name).run()) {
          TFloat32 tensor = (TFloat32) result.get(0);
          long[] shape = tensor.shape().asArray();
          shapes.put(name, shape);
          byte[] raw = new byte[(int) tensor.numBytes()];
          tensor.asRawTensor().data().read(raw);
          Files.write(out.resolve(name.replace('/', '_') + ".bin"), raw);
        }
      }
    }
    StringBuilder json = new StringBuilder("{");
    shapes.forEach(
        (name, shape) ->
            json.append(json.length() > 1 ? ", " : "")
                .append('"')
                .append(name)
                .append("\": ")
                .append(Arrays.toString(shape)));
    Files.writeString(out.resolve("weights.json"), json.append('}').toString());
  }
}
