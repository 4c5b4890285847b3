package io.tuneserve.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.dataset.ArchiveUpload;
import io.tuneserve.dataset.DatasetStore;
import io.tuneserve.dataset.DatasetVersion;
import io.tuneserve.dataset.JsonLinesUpload;
import io.tuneserve.model.ServingException;
import io.tuneserve.repository.ModelNames;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Stored datasets: {@code PUT}/{@code POST /v1/datasets/{name}} creates one from a zip archive of
 * label folders, a multipart form or JSON lines, {@code POST /v1/datasets/{name}/examples} adds to
 * it, {@code GET /v1/datasets[/{name}[/versions/{v}]]} describes them, {@code DELETE} removes one.
 * An upload is streamed to a staging file as it arrives and read from there on a worker thread, so
 * no upload is held in memory whole; these routes come before the body collector.
 */
final class DatasetsApi {
  static final String API = "datasets";
  private static final Logger LOG = Logger.getLogger(DatasetsApi.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();

  private final DatasetStore store;
  private final long maxUploadBytes;
  private final long maxImageBytes;

  /** The body formats an upload may have. */
  private enum Format {
    ZIP,
    JSON_LINES,
    MULTIPART
  }

  DatasetsApi(DatasetStore store, long maxUploadBytes, long maxImageBytes) {
    this.store = store;
    this.maxUploadBytes = maxUploadBytes;
    this.maxImageBytes = maxImageBytes;
  }

  void mount(Router router) {
    router.put("/v1/datasets/:name").handler(ctx -> upload(ctx, DatasetStore.Change.REPLACE));
    router.post("/v1/datasets/:name").handler(ctx -> upload(ctx, DatasetStore.Change.CREATE));
    router
        .post("/v1/datasets/:name/examples")
        .handler(ctx -> upload(ctx, DatasetStore.Change.APPEND));
    router.get("/v1/datasets").handler(this::list);
    router.get("/v1/datasets/:name").handler(this::describe);
    router.get("/v1/datasets/:name/versions/:version").handler(this::version);
    router.delete("/v1/datasets/:name").handler(this::delete);
  }

  /**
   * The dataset version a request body names in {@code field} (and {@code <field>_version}, the
   * newest when absent); 400 for a malformed name or number, 404 for what is not stored.
   */
  static DatasetVersion named(DatasetStore store, JsonNode body, String field) {
    JsonNode name = body.get(field);
    if (name == null || !name.isTextual()) {
      throw ServingException.invalid("'" + field + "' must name a stored dataset");
    }
    JsonNode number = body.get(field + "_version");
    Long version = null;
    if (number != null && !number.isNull()) {
      if (!number.isIntegralNumber() || number.longValue() < 1) {
        throw ServingException.invalid("'" + field + "_version' must be a positive integer");
      }
      version = number.longValue();
    }
    return store.resolve(name.textValue(), version);
  }

  private void upload(RoutingContext ctx, DatasetStore.Change change) {
    HttpServerRequest request = ctx.request();
    String name = ctx.pathParam("name");
    String contentType = request.getHeader(HttpHeaders.CONTENT_TYPE);
    Format format;
    try {
      DatasetStore.checkName(name);
      format = formatOf(contentType);
      String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
      if (length != null && Long.parseLong(length.trim()) > maxUploadBytes) {
        tooLarge(ctx);
        return;
      }
    } catch (NumberFormatException e) {
      ctx.fail(ServingException.invalid("content-length is not a number"));
      return;
    } catch (ServingException e) {
      ctx.fail(e);
      return;
    }
    if (request.isEnded()) {
      ctx.fail(ServingException.invalid("the upload is empty"));
      return;
    }
    // Held until the staging file is open, so no chunk arrives before there is a place for it;
    // a connection lost meanwhile is remembered, so its staging file is removed once it exists.
    request.pause();
    Interruption interruption = new Interruption();
    request.exceptionHandler(interruption::interrupted);
    ctx.vertx()
        .executeBlocking(() -> store.stagingFile(".upload"), false)
        .compose(
            staged ->
                ctx.vertx()
                    .fileSystem()
                    .open(staged.toString(), new OpenOptions().setWrite(true))
                    .onFailure(failure -> discard(ctx, staged))
                    .onSuccess(
                        file -> receive(ctx, staged, file, name, change, format, interruption)))
        .onFailure(ctx::fail);
  }

  /**
   * Whether an upload's request failed (its connection closed or reset), and what to do about it
   * once the staging file is open; used on the request's event loop only.
   */
  private static final class Interruption {
    private boolean happened;
    private Runnable action;

    void interrupted(Throwable failure) {
      if (happened) {
        return;
      }
      happened = true;
      if (action != null) {
        action.run();
      }
    }

    /** Runs {@code then} when the request fails, at once if it already has. */
    void then(Runnable then) {
      action = then;
      if (happened) {
        then.run();
      }
    }
  }

  /** Streams the body into the staging file, then stores it as the dataset's next version. */
  private void receive(
      RoutingContext ctx,
      Path staged,
      AsyncFile file,
      String name,
      DatasetStore.Change change,
      Format format,
      Interruption interruption) {
    HttpServerRequest request = ctx.request();
    String contentType = request.getHeader(HttpHeaders.CONTENT_TYPE);
    long[] received = {0};
    boolean[] stopped = {false};
    interruption.then(
        () -> {
          if (!stopped[0]) {
            stopped[0] = true;
            file.close().onComplete(closed -> discard(ctx, staged));
          }
        });
    request.handler(
        chunk -> {
          if (stopped[0]) {
            return;
          }
          received[0] += chunk.length();
          if (received[0] > maxUploadBytes) {
            stopped[0] = true;
            file.close().onComplete(closed -> discard(ctx, staged));
            tooLarge(ctx);
            return;
          }
          file.write(chunk);
          if (file.writeQueueFull()) {
            request.pause();
            file.drainHandler(drained -> request.resume());
          }
        });
    request.endHandler(
        end -> {
          if (stopped[0]) {
            return;
          }
          stopped[0] = true;
          file.close()
              .compose(
                  closed ->
                      ctx.vertx()
                          .executeBlocking(
                              () -> {
                                try {
                                  return store.write(
                                      name,
                                      change,
                                      sink -> {
                                        switch (format) {
                                          case ZIP ->
                                              ArchiveUpload.read(staged, maxImageBytes, sink);
                                          case JSON_LINES -> JsonLinesUpload.read(staged, sink);
                                          case MULTIPART ->
                                              MultipartUpload.read(staged, contentType, sink);
                                        }
                                      });
                                } finally {
                                  Files.deleteIfExists(staged);
                                }
                              },
                              false))
              .onSuccess(
                  version -> {
                    ctx.response().putHeader("location", "/v1/datasets/" + name);
                    Replies.json(
                        ctx, 201, json -> JSON.writeValue(json, describe(version, List.of())));
                  })
              .onFailure(ctx::fail);
        });
    request.resume();
  }

  private void discard(RoutingContext ctx, Path staged) {
    ctx.vertx()
        .executeBlocking(
            () -> {
              Files.deleteIfExists(staged);
              return null;
            },
            false)
        .onFailure(e -> LOG.log(Level.WARNING, "cannot remove " + staged, e));
  }

  private void tooLarge(RoutingContext ctx) {
    Replies.error(
        ctx,
        413,
        "the upload is larger than datasets.max_upload_bytes ("
            + maxUploadBytes
            + " bytes); send it in parts with POST /v1/datasets/{name}/examples");
  }

  private static Format formatOf(String contentType) {
    String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
    if (type.startsWith("application/zip") || type.startsWith("application/x-zip-compressed")) {
      return Format.ZIP;
    }
    if (type.startsWith("application/x-ndjson")
        || type.startsWith("application/jsonl")
        || type.startsWith("application/json-lines")
        || type.startsWith("application/jsonlines")) {
      return Format.JSON_LINES;
    }
    if (type.startsWith("multipart/form-data")) {
      return Format.MULTIPART;
    }
    throw new ServingException(
        io.tuneserve.model.ErrorKind.INVALID_ARGUMENT,
        "a dataset upload is application/zip (label folders), multipart/form-data (file fields"
            + " named by label) or application/x-ndjson (JSON lines); got "
            + (contentType == null ? "no content-type" : "'" + contentType + "'"));
  }

  private void list(RoutingContext ctx) {
    Replies.jsonFromWorker(
        ctx,
        200,
        store::list,
        (json, all) ->
            JSON.writeValue(
                json, Map.of("datasets", all.stream().map(DatasetVersion::summary).toList())));
  }

  private void describe(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    Replies.jsonFromWorker(
        ctx,
        200,
        () -> {
          List<DatasetVersion> versions = store.versions(name);
          if (versions.isEmpty()) {
            throw ServingException.notFound("no dataset " + name);
          }
          return describe(
              versions.get(versions.size() - 1),
              versions.stream().map(DatasetVersion::version).toList());
        },
        JSON::writeValue);
  }

  private void version(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    String version = ctx.pathParam("version");
    if (!ModelNames.isValidVersion(version)) {
      ctx.fail(ServingException.invalid("a dataset version is a positive integer, got " + version));
      return;
    }
    Replies.jsonFromWorker(
        ctx,
        200,
        () ->
            store
                .version(name, Long.parseLong(version))
                .orElseThrow(
                    () ->
                        ServingException.notFound(
                            "dataset " + name + " has no version " + version)),
        JSON::writeValue);
  }

  private void delete(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    Replies.jsonFromWorker(
        ctx,
        200,
        () -> {
          if (!store.delete(name)) {
            throw ServingException.notFound("no dataset " + name);
          }
          return Map.of("deleted", name);
        },
        JSON::writeValue);
  }

  private static Map<String, Object> describe(DatasetVersion version, List<Long> versions) {
    Map<String, Object> document = new LinkedHashMap<>(version.summary());
    if (!versions.isEmpty()) {
      document.put("versions", versions);
    }
    return document;
  }
}
