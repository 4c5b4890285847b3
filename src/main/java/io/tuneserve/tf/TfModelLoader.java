package io.tuneserve.tf;

import io.tuneserve.model.FeatureLayers;
import io.tuneserve.model.LoadedModel;
import io.tuneserve.model.ModelLoadException;
import io.tuneserve.model.ModelLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GPUOptions;

/** Loads TensorFlow SavedModels with the "serve" tag. */
public final class TfModelLoader implements ModelLoader {
  private final ConfigProto config;

  public TfModelLoader(TfRuntimeOptions options) {
    GPUOptions.Builder gpu = GPUOptions.newBuilder().setAllowGrowth(options.gpuAllowGrowth());
    if (options.gpuMemoryFraction() > 0) {
      gpu.setPerProcessGpuMemoryFraction(options.gpuMemoryFraction());
    }
    this.config =
        ConfigProto.newBuilder()
            .setIntraOpParallelismThreads(options.intraOpThreads())
            .setInterOpParallelismThreads(options.interOpThreads())
            .setGpuOptions(gpu)
            .build();
  }

  @Override
  public LoadedModel load(Path versionDirectory, FeatureLayers features) throws ModelLoadException {
    if (!Files.isRegularFile(versionDirectory.resolve("saved_model.pb"))) {
      throw new ModelLoadException("no saved_model.pb in " + versionDirectory, null);
    }
    OpenModel model;
    try {
      model = SavedModels.open(versionDirectory, config, features);
    } catch (RuntimeException e) {
      throw new ModelLoadException(Messages.firstLine(e.getMessage()), e);
    }
    try {
      return new TfLoadedModel(model, DirectorySize.of(versionDirectory));
    } catch (RuntimeException e) {
      model.close();
      throw new ModelLoadException(
          "cannot read signatures: " + Messages.firstLine(e.getMessage()), e);
    }
  }
}
