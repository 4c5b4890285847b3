package io.tuneserve.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The objects of a store under one folder, by keys relative to it. */
final class Subfolder implements ObjectStore {
  private final ObjectStore store;
  private final String folder;

  Subfolder(ObjectStore store, String folder) {
    this.store = store;
    this.folder = folder.endsWith("/") ? folder : folder + "/";
  }

  @Override
  public String kind() {
    return store.kind();
  }

  @Override
  public void put(String key, Path file) throws IOException {
    store.put(folder + key, file);
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    store.put(folder + key, content);
  }

  @Override
  public Optional<byte[]> read(String key) throws IOException {
    return store.read(folder + key);
  }

  @Override
  public void download(String key, Path file) throws IOException {
    store.download(folder + key, file);
  }

  @Override
  public List<String> children(String prefix) throws IOException {
    return store.children(folder + prefix);
  }

  @Override
  public void delete(String key) throws IOException {
    store.delete(folder + key);
  }

  @Override
  public void deleteAll(String prefix) throws IOException {
    store.deleteAll(folder + prefix);
  }

  @Override
  public Optional<Path> localFile(String key) {
    return store.localFile(folder + key);
  }
}
