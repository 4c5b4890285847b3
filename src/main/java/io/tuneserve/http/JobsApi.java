package io.tuneserve.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.tuneserve.model.ServingException;
import io.tuneserve.training.JobBoard;
import io.tuneserve.training.JobDocument;
import io.tuneserve.training.JobManager;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * Fine-tuning jobs: {@code POST /v1/jobs} starts one from labelled images (read by {@link
 * JobRequests}), {@code GET /v1/jobs[/id]} follows it, {@code DELETE /v1/jobs/id} cancels it.
 */
final class JobsApi {
  static final String API = "jobs";

  private final JobManager jobs;
  private final JobBoard board;
  private final JobHandOver handOver;
  private final JobProgress progress;
  private final JobRequests requests;
  private final long maxBodyBytes;

  JobsApi(
      JobManager jobs,
      JobBoard board,
      Function<String, Optional<String>> nodeUrls,
      JobRequests requests,
      long maxBodyBytes,
      OpenStreams streams) {
    this.progress = new JobProgress(board, streams);
    this.jobs = jobs;
    this.board = board;
    this.handOver = new JobHandOver(board, nodeUrls);
    this.requests = requests;
    this.maxBodyBytes = maxBodyBytes;
  }

  /** The WebSocket progress route; mounted before anything reads request bodies. */
  void mountWebSocket(Router router) {
    router.get("/v1/jobs/:id/ws").handler(progress::streamToWebSocket);
  }

  void mount(Router router) {
    router.get("/v1/jobs/:id/events").handler(progress::streamEvents);
    router.post("/v1/jobs").handler(this::submit);
    router.get("/v1/jobs").handler(this::list);
    router.get("/v1/jobs/:id").handler(ctx -> reply(ctx, 200, () -> document(ctx)));
    router.delete("/v1/jobs/:id").handler(ctx -> reply(ctx, 202, () -> cancel(ctx)));
  }

  /** A job's document from the cluster's board, wherever it runs. */
  private String document(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    return board.document(id).orElseThrow(() -> ServingException.notFound("no job " + id));
  }

  /** Cancels a job of this node at once, or asks the node that runs it. */
  private String cancel(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (jobs.get(id).isPresent()) {
      jobs.cancel(id);
    } else {
      document(ctx);
      board.requestCancel(id);
    }
    return document(ctx);
  }

  /** Board calls block: they run on a worker thread and the reply comes back to the loop. */
  private static void reply(RoutingContext ctx, int status, Callable<String> document) {
    Replies.jsonFromWorker(ctx, status, document, JsonGenerator::writeRawValue);
  }

  /**
   * Queues a job here when this node has a free training thread; otherwise hands the request to a
   * node that has one (once: a handed-over request is never passed on), and queues it here when
   * none has.
   */
  private void submit(RoutingContext ctx) {
    byte[] bytes = RawBody.bytes(ctx);
    String contentType = ctx.request().getHeader("content-type");
    if (ctx.request().getHeader(JobHandOver.HANDED_OVER) != null || jobs.freeSlots() > 0) {
      submitHere(ctx, bytes, contentType);
      return;
    }
    ctx.vertx()
        .executeBlocking(() -> handOver.nodeWithCapacity(), false)
        .onSuccess(
            url -> {
              if (url.isEmpty()) {
                submitHere(ctx, bytes, contentType);
              } else {
                handOver.send(
                    ctx, url.get(), bytes, contentType, () -> submitHere(ctx, bytes, contentType));
              }
            })
        .onFailure(ctx::fail);
  }

  private void submitHere(RoutingContext ctx, byte[] bytes, String contentType) {
    ctx.vertx()
        .executeBlocking(
            () -> {
              JsonNode body;
              if (MultipartJobs.isMultipart(contentType)) {
                body = MultipartJobs.toJson(contentType, bytes);
              } else if (ArchiveJobs.isArchive(contentType)) {
                body = ArchiveJobs.toJson(bytes, maxBodyBytes);
              } else {
                body = JsonBodies.parseObject(bytes, 0, bytes.length);
              }
              return requests.submit(body);
            })
        .onSuccess(
            job -> {
              ctx.response().putHeader("location", "/v1/jobs/" + job.id());
              String document = JobDocument.of(job.snapshot(), board.nodeId());
              Replies.json(ctx, 202, out -> out.writeRawValue(document));
            })
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    Replies.jsonFromWorker(
        ctx,
        200,
        board::documents,
        (json, all) -> {
          json.writeStartObject();
          json.writeArrayFieldStart("jobs");
          for (String document : all) {
            json.writeRawValue(document);
          }
          json.writeEndArray();
          json.writeEndObject();
        });
  }
}
