package io.tuneserve.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The calls benchmarks make to a node's management APIs, each checked for the status it expects. */
final class ClusterHttp {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private ClusterHttp() {}

  static JsonNode get(String url) throws Exception {
    return send("GET", url, null, null, 200);
  }

  static JsonNode post(String url, String json, int status) throws Exception {
    return send("POST", url, json, "application/json", status);
  }

  static JsonNode put(String url, String json, int status) throws Exception {
    return send("PUT", url, json, "application/json", status);
  }

  /** Sends a request and reads its JSON answer; throws unless it has {@code status}. */
  static JsonNode send(String method, String url, String body, String contentType, int status) throws Exception {
    HttpResponse<String> response = call(method, url, body, contentType);
    if (response.statusCode() != status) {
      throw new IllegalStateException(method + " " + url + ": " + response.statusCode() + " " + response.body());
    }
    return JSON.readTree(response.body());
  }

  static HttpResponse<String> call(String method, String url, String body, String contentType) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(120));
    if (contentType != null) {
      request.header("content-type", contentType);
    }
    request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** An image's classification by {@code path} (e.g. {@code /v1/models/m:classify-image}). */
  static JsonNode classify(String node, String path, byte[] png) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(node + path))
                .header("content-type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(png))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(path + ": " + response.statusCode() + " " + response.body());
    }
    return JSON.readTree(response.body());
  }

  /** Waits until a job ends; its document. */
  static JsonNode awaitJob(String node, String id, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode job = get(node + "/v1/jobs/" + id);
      if (job.get("state").asText().matches("SUCCEEDED|FAILED|CANCELLED")) {
        return job;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("job " + id + " did not finish in " + timeout);
  }
}
