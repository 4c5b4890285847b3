package io.tuneserve.bench;

import io.tuneserve.repository.ModelSettings;
import io.tuneserve.repository.ModelSettingsFile;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The image input and the output a benchmark uses, as the model's {@code model.yaml} declares them
 * (its {@code image:} section: the input, the class-score output and the image size), so the same
 * harness loads any image classifier in a repository.
 */
record ImageInput(String input, int height, int width, int channels, String output) {

  /** The image input of the model in {@code modelDirectory} (the directory above its versions). */
  static ImageInput of(Path modelDirectory) throws IOException {
    ModelSettings.ImageInput image = new ModelSettingsFile().read(modelDirectory).image();
    if (image == null || image.output() == null) {
      throw new IllegalArgumentException(
          modelDirectory.resolve("model.yaml") + " has no image: section naming the input and output");
    }
    return new ImageInput(image.input(), image.height(), image.width(), image.channels(), image.output());
  }

  int pixels() {
    return height * width * channels;
  }

  long[] shape(int images) {
    return new long[] {images, height, width, channels};
  }

  String dims(int images) {
    return images + ", " + height + ", " + width + ", " + channels;
  }

  String describe() {
    return height + "x" + width + "x" + channels;
  }
}
