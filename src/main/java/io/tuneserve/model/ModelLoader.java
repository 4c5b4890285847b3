package io.tuneserve.model;

import java.nio.file.Path;

/** Loads a model version directory. Does all expensive work in {@link #load}. */
public interface ModelLoader {

  /**
   * Loads the model in a version directory.
   *
   * @param features where its CNN codes come from
   * @throws ModelLoadException when the directory does not hold a loadable model
   */
  LoadedModel load(Path versionDirectory, FeatureLayers features) throws ModelLoadException;

  /** Loads a model whose CNN codes are found automatically when it has no features signature. */
  default LoadedModel load(Path versionDirectory) throws ModelLoadException {
    return load(versionDirectory, FeatureLayers.automatic());
  }
}
