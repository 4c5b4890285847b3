package io.tuneserve.model;

import java.nio.file.Path;

/** Loads a model version directory. Does all expensive work in {@link #load}. */
public interface ModelLoader {

  /**
   * Loads the model in a version directory.
   *
   * @throws ModelLoadException when the directory does not hold a loadable model
   */
  LoadedModel load(Path versionDirectory) throws ModelLoadException;
}
