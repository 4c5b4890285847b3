package io.tuneserve.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tuneserve.data.LabelledImages;
import io.tuneserve.testing.ImageJobs;
import io.tuneserve.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Classifiers trained on the frozen demo model are published as head-only versions (kilobytes over
 * the shared base); requests for different heads run through the base's batches together.
 */
class HeadSharingTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void headsShareTheBaseAndItsBatches() throws Exception {
    ImageJobs jobs = new ImageJobs();
    LabelledImages images = jobs.images();
    String[] groups = {
      "top", "other", "top", "other", "top", "shoe", "top", "shoe", "other", "shoe"
    };
    String[] footwear = {"no", "no", "no", "no", "no", "yes", "no", "yes", "no", "yes"};
    try (TestServer server =
        new TestServer().withDemoModel().set("batching.max_queue_delay_ms", 20).start()) {
      for (String[] target :
          List.of(new String[] {"heads-a", "groups"}, new String[] {"heads-b", "footwear"})) {
        String body =
            jobs.job(
                target[0],
                target[1].equals("groups") ? groups : footwear,
                0,
                120,
                "\"strategy\": \"feature_extractor\", \"hyperparameters\": {\"epochs\": 10}");
        HttpResponse<String> submitted = server.post("/v1/jobs", body);
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        JsonNode done =
            server.client().awaitJob(JSON.readTree(submitted.body()).get("id").asText());
        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
        Path version = server.repository().resolve(target[0]).resolve("1");
        assertThat(version.resolve("head.json")).exists();
        assertThat(version.resolve("saved_model.pb")).doesNotExist();
        assertThat(Files.size(version.resolve("head.json"))).isLessThan(64 * 1024);
      }

      ExecutorService clients = Executors.newFixedThreadPool(16);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<int[]>> replies = new ArrayList<>();
      for (int c = 0; c < 64; c++) {
        String model = c % 2 == 0 ? "heads-a" : "heads-b";
        int index = 2000 + c;
        replies.add(
            clients.submit(
                () -> {
                  start.await();
                  HttpResponse<String> response =
                      server.post(
                          "/v1/models/" + model + ":predict",
                          "{\"instances\": [" + jobs.image(index) + "]}");
                  JsonNode probabilities =
                      JSON.readTree(response.body()).at("/predictions/0/probabilities");
                  return new int[] {response.statusCode(), probabilities.size()};
                }));
      }
      start.countDown();
      for (int c = 0; c < 64; c++) {
        int[] reply = replies.get(c).get(60, TimeUnit.SECONDS);
        assertThat(reply[0]).isEqualTo(200);
        assertThat(reply[1]).isEqualTo(c % 2 == 0 ? 3 : 2);
      }
      clients.shutdown();
      String metrics = server.get("/metrics").body();
      double rows = value(metrics, "tuneserve_batch_size_sum\\{model=\"fashion-convnet\"} (\\S+)");
      double batches =
          value(metrics, "tuneserve_batch_size_count\\{model=\"fashion-convnet\"} (\\S+)");
      assertThat(rows).as("every head request ran through the base").isGreaterThanOrEqualTo(64);
      assertThat(rows / batches).as("head requests shared base batches").isGreaterThan(1.5);

      assertThat(server.post("/v2/repository/models/fashion-convnet/unload", "").statusCode())
          .isEqualTo(200);
      HttpResponse<String> orphan =
          server.post("/v1/models/heads-a:predict", "{\"instances\": [" + jobs.image(1) + "]}");
      assertThat(orphan.statusCode()).isEqualTo(503);
      assertThat(JSON.readTree(orphan.body()).get("error").asText())
          .contains("base model fashion-convnet");
    }
  }

  private static double value(String metrics, String regex) {
    Matcher matcher = Pattern.compile(regex).matcher(metrics);
    assertThat(matcher.find()).as(regex).isTrue();
    return Double.parseDouble(matcher.group(1));
  }
}
