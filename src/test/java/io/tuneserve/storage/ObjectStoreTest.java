package io.tuneserve.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tuneserve.testing.S3Server;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The same behaviour from a directory and from a real S3 server on loopback. */
class ObjectStoreTest {
  private static S3Server s3;
  @TempDir static Path directory;

  @BeforeAll
  static void start() throws Exception {
    s3 = new S3Server();
  }

  @AfterAll
  static void stop() throws Exception {
    s3.close();
  }

  static Stream<String> kinds() {
    return Stream.of("directory", "s3");
  }

  private static ObjectStore store(String kind, String name) throws Exception {
    return kind.equals("s3")
        ? s3.store("tests/" + name)
        : new DirectoryObjectStore(Files.createDirectories(directory.resolve(name)));
  }

  private static String text(ObjectStore store, String key) throws Exception {
    return new String(store.read(key).orElseThrow(), StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void storesListsReadsAndDeletes(String kind) throws Exception {
    ObjectStore store = store(kind, "basics");
    Path file = Files.writeString(directory.resolve("file-" + kind), "segment bytes");
    store.put("ds/segments/abc.zip", file);
    store.put("ds/versions/000001.json", "{\"v\": 1}".getBytes(StandardCharsets.UTF_8));
    store.put("ds/versions/000002.json", "{\"v\": 2}".getBytes(StandardCharsets.UTF_8));
    store.put("other/versions/000001.json", new byte[] {1});

    assertThat(store.children("")).containsExactly("ds", "other");
    assertThat(store.children("ds/")).containsExactly("segments", "versions");
    assertThat(store.children("ds/versions/")).containsExactly("000001.json", "000002.json");
    assertThat(store.children("missing/")).isEmpty();
    assertThat(text(store, "ds/versions/000002.json")).isEqualTo("{\"v\": 2}");
    assertThat(store.read("ds/versions/000009.json")).isEmpty();

    store.put("ds/versions/000002.json", "{\"v\": 3}".getBytes(StandardCharsets.UTF_8));
    assertThat(text(store, "ds/versions/000002.json")).as("a put replaces").isEqualTo("{\"v\": 3}");

    Path copy = directory.resolve("copy-" + kind);
    Files.writeString(copy, "old content");
    store.download("ds/segments/abc.zip", copy);
    assertThat(Files.readString(copy)).isEqualTo("segment bytes");
    assertThatThrownBy(() -> store.download("ds/segments/nope.zip", directory.resolve("x")))
        .isInstanceOf(NoSuchFileException.class);

    store.delete("ds/versions/000001.json");
    store.delete("ds/versions/000001.json");
    assertThat(store.children("ds/versions/")).containsExactly("000002.json");
    store.deleteAll("ds/");
    assertThat(store.children("")).containsExactly("other");
    assertThat(store.read("other/versions/000001.json")).isPresent();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aSubfolderSeesOnlyItsOwnObjects(String kind) throws Exception {
    ObjectStore store = store(kind, "folders");
    store.put("checkpoints/m/1/saved_model.pb", new byte[] {7});
    ObjectStore datasets = store.under("datasets/");
    datasets.put("shoes/versions/000001.json", new byte[] {1});
    assertThat(datasets.children("")).containsExactly("shoes");
    assertThat(store.children("")).containsExactly("checkpoints", "datasets");
    datasets.deleteAll("shoes/");
    assertThat(datasets.children("")).isEmpty();
    assertThat(store.read("checkpoints/m/1/saved_model.pb")).isPresent();
  }

  @Test
  void directoryKeysThatLeaveTheDirectoryAreRefused() throws Exception {
    ObjectStore store = store("directory", "escape");
    assertThatThrownBy(() -> store.put("../outside", new byte[] {1}))
        .hasMessageContaining("leaves the store's directory");
    assertThat(Files.exists(directory.resolve("outside"))).isFalse();
    assertThat(store.localFile("../outside")).isEmpty();
  }

  @Test
  void aMissingBucketIsNamedWhenTheStoreConnects() {
    assertThatThrownBy(
            () ->
                new io.tuneserve.s3.S3ObjectStore(
                    s3.endpoint(),
                    "us-east-1",
                    "no-such-bucket",
                    "",
                    true,
                    S3Server.ACCESS_KEY,
                    S3Server.SECRET_KEY))
        .hasMessageContaining("no-such-bucket");
  }
}
