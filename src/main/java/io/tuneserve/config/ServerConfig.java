package io.tuneserve.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/** The server's configuration; conf/tuneserve.yaml documents every key. */
public record ServerConfig(
    @JsonProperty(value = "http", required = true) Http http,
    @JsonProperty(value = "models", required = true) Models models,
    @JsonProperty(value = "batching", required = true) Batching batching,
    @JsonProperty(value = "training", required = true) Training training,
    @JsonProperty(value = "datasets", required = true) Datasets datasets,
    @JsonProperty(value = "tensorflow", required = true) Tensorflow tensorflow,
    @JsonProperty(value = "cluster", required = true) Cluster cluster,
    @JsonProperty(value = "registry", required = true) Registry registry,
    @JsonProperty(value = "s3", required = true) S3 s3,
    @JsonProperty(value = "security", required = true) Security security) {

  public ServerConfig {
    check(
        !usesS3(datasets, registry) || !s3.bucket().isBlank(),
        "s3.bucket must be set when datasets.store or registry.checkpoint_store is s3");
  }

  /** Whether datasets or checkpoints are kept in the S3 store. */
  public boolean usesS3() {
    return usesS3(datasets, registry);
  }

  private static boolean usesS3(Datasets datasets, Registry registry) {
    return S3.KIND.equals(datasets.store()) || S3.KIND.equals(registry.checkpointStore());
  }

  public record Http(
      @JsonProperty("host") String host,
      @JsonProperty("port") int port,
      @JsonProperty("event_loops") int eventLoops,
      @JsonProperty("max_body_bytes") long maxBodyBytes,
      @JsonProperty("max_image_pixels") long maxImagePixels,
      @JsonProperty("websocket_max_in_flight") int websocketMaxInFlight,
      @JsonProperty("drain_delay_seconds") double drainDelaySeconds,
      @JsonProperty("drain_seconds") double drainSeconds) {
    public Http {
      check(port >= 0 && port <= 65535, "http.port must be 0..65535, got " + port);
      check(eventLoops >= 0, "http.event_loops must not be negative");
      check(maxBodyBytes > 0, "http.max_body_bytes must be positive");
      check(maxImagePixels > 0, "http.max_image_pixels must be positive");
      check(websocketMaxInFlight >= 1, "http.websocket_max_in_flight must be at least 1");
      check(drainDelaySeconds >= 0, "http.drain_delay_seconds must not be negative");
      check(drainSeconds >= 0, "http.drain_seconds must not be negative");
    }
  }

  public record Models(
      @JsonProperty("directory") String directory,
      @JsonProperty("poll_interval_seconds") double pollIntervalSeconds) {
    public Models {
      check(directory != null && !directory.isBlank(), "models.directory must be set");
      check(pollIntervalSeconds >= 0, "models.poll_interval_seconds must not be negative");
    }
  }

  public record Batching(
      @JsonProperty("enabled") boolean enabled,
      @JsonProperty("max_batch_size") int maxBatchSize,
      @JsonProperty("max_queue_delay_ms") double maxQueueDelayMs,
      @JsonProperty("max_queued_requests") int maxQueuedRequests,
      @JsonProperty("threads") int threads,
      @JsonProperty("max_unbatched_queue") int maxUnbatchedQueue,
      @JsonProperty("max_request_rows") int maxRequestRows,
      @JsonProperty("warm_up_seconds") double warmUpSeconds,
      @JsonProperty("cap_at_fastest_batch") boolean capAtFastestBatch) {
    public Batching {
      check(maxBatchSize >= 1, "batching.max_batch_size must be at least 1");
      check(maxQueueDelayMs >= 0, "batching.max_queue_delay_ms must not be negative");
      check(maxQueuedRequests >= 1, "batching.max_queued_requests must be at least 1");
      check(threads >= 0, "batching.threads must not be negative");
      check(maxUnbatchedQueue >= 1, "batching.max_unbatched_queue must be at least 1");
      check(maxRequestRows >= 1, "batching.max_request_rows must be at least 1");
      check(warmUpSeconds >= 0, "batching.warm_up_seconds must not be negative");
    }
  }

  public record Training(
      @JsonProperty("max_concurrent_jobs") int maxConcurrentJobs,
      @JsonProperty("max_queued_jobs") int maxQueuedJobs,
      @JsonProperty("max_examples") int maxExamples,
      @JsonProperty("inference_yield") double inferenceYield,
      @JsonProperty("head_only") boolean headOnly) {
    public Training {
      check(maxConcurrentJobs >= 1, "training.max_concurrent_jobs must be at least 1");
      check(maxQueuedJobs >= 1, "training.max_queued_jobs must be at least 1");
      check(maxExamples >= 2, "training.max_examples must be at least 2");
      check(inferenceYield >= 0, "training.inference_yield must not be negative");
    }
  }

  public record Datasets(
      @JsonProperty("store") String store,
      @JsonProperty("directory") String directory,
      @JsonProperty("max_upload_bytes") long maxUploadBytes) {
    public static final String DIRECTORY = "directory";

    public Datasets {
      store = store == null ? DIRECTORY : store;
      check(
          DIRECTORY.equals(store) || S3.KIND.equals(store),
          "datasets.store must be directory or s3, got " + store);
      check(directory != null && !directory.isBlank(), "datasets.directory must be set");
      check(maxUploadBytes > 0, "datasets.max_upload_bytes must be positive");
    }
  }

  /**
   * An S3-compatible object store (AWS S3, MinIO, Ceph) for datasets and checkpoints.
   *
   * @param endpoint blank for AWS itself
   * @param accessKeyId blank to take credentials from the AWS default chain
   */
  public record S3(
      @JsonProperty("endpoint") String endpoint,
      @JsonProperty("region") String region,
      @JsonProperty("bucket") String bucket,
      @JsonProperty("prefix") String prefix,
      @JsonProperty("path_style") boolean pathStyle,
      @JsonProperty("access_key_id") String accessKeyId,
      @JsonProperty("secret_access_key") String secretAccessKey) {
    public static final String KIND = "s3";

    public S3 {
      endpoint = endpoint == null ? "" : endpoint;
      region = region == null || region.isBlank() ? "us-east-1" : region;
      bucket = bucket == null ? "" : bucket;
      prefix = prefix == null ? "" : prefix;
      accessKeyId = accessKeyId == null ? "" : accessKeyId;
      secretAccessKey = secretAccessKey == null ? "" : secretAccessKey;
      check(
          accessKeyId.isBlank() || !secretAccessKey.isBlank(),
          "s3.secret_access_key must be set with s3.access_key_id");
      check(
          endpoint.isBlank() || endpoint.startsWith("http://") || endpoint.startsWith("https://"),
          "s3.endpoint must be an http:// or https:// URL, got " + endpoint);
    }
  }

  public record Tensorflow(
      @JsonProperty("intra_op_threads") int intraOpThreads,
      @JsonProperty("inter_op_threads") int interOpThreads,
      @JsonProperty("gpu_allow_growth") boolean gpuAllowGrowth,
      @JsonProperty("gpu_memory_fraction") double gpuMemoryFraction) {
    public Tensorflow {
      check(
          intraOpThreads >= 0 && interOpThreads >= 0,
          "tensorflow thread counts must not be negative");
      check(
          gpuMemoryFraction >= 0 && gpuMemoryFraction <= 1,
          "tensorflow.gpu_memory_fraction must be 0..1");
    }
  }

  public record Cluster(
      @JsonProperty("hazelcast_config") String hazelcastConfig,
      @JsonProperty("name") String name,
      @JsonProperty("port") int port,
      @JsonProperty("members") String members,
      @JsonProperty("host") String host,
      @JsonProperty("event_bus_port") int eventBusPort) {
    public Cluster {
      check(port >= 0 && port <= 65535, "cluster.port must be 0..65535, got " + port);
      check(
          eventBusPort >= 0 && eventBusPort <= 65535,
          "cluster.event_bus_port must be 0..65535, got " + eventBusPort);
      check(host != null && !host.isBlank(), "cluster.host must be set");
      hazelcastConfig = hazelcastConfig == null ? "" : hazelcastConfig;
      name = name == null ? "" : name;
      members = members == null ? "" : members;
    }
  }

  public record Registry(
      @JsonProperty("checkpoint_store") String checkpointStore,
      @JsonProperty("shared_directory") String sharedDirectory,
      @JsonProperty("inline_max_bytes") long inlineMaxBytes,
      @JsonProperty("keep_versions") int keepVersions) {
    public static final String REPLICATED = "replicated";
    public static final String SHARED = "shared";

    public Registry {
      check(
          REPLICATED.equals(checkpointStore)
              || SHARED.equals(checkpointStore)
              || S3.KIND.equals(checkpointStore),
          "registry.checkpoint_store must be replicated, shared or s3, got " + checkpointStore);
      sharedDirectory = sharedDirectory == null ? "" : sharedDirectory;
      check(
          !SHARED.equals(checkpointStore) || !sharedDirectory.isBlank(),
          "registry.shared_directory must be set when registry.checkpoint_store is shared");
      check(inlineMaxBytes >= 0, "registry.inline_max_bytes must not be negative");
      check(keepVersions >= 0, "registry.keep_versions must not be negative");
    }
  }

  public record Security(
      @JsonProperty("tokens") String tokens,
      @JsonProperty("tokens_file") String tokensFile,
      @JsonProperty("protect_inference") boolean protectInference,
      @JsonProperty("tls_cert_file") String tlsCertFile,
      @JsonProperty("tls_key_file") String tlsKeyFile) {
    public Security {
      tokens = tokens == null ? "" : tokens;
      tokensFile = tokensFile == null ? "" : tokensFile;
      tlsCertFile = tlsCertFile == null ? "" : tlsCertFile;
      tlsKeyFile = tlsKeyFile == null ? "" : tlsKeyFile;
      check(
          tlsCertFile.isBlank() == tlsKeyFile.isBlank(),
          "security.tls_cert_file and security.tls_key_file must be set together");
      for (String file : new String[] {tokensFile, tlsCertFile, tlsKeyFile}) {
        check(
            file.isBlank() || Files.isRegularFile(Path.of(file)),
            "security file " + file + " does not exist");
      }
    }

    /** The accepted tokens: those listed (comma-separated) and the lines of the tokens file. */
    public Set<String> acceptedTokens() {
      Set<String> all = new HashSet<>();
      for (String token : tokens.split(",", -1)) {
        if (!token.isBlank()) {
          all.add(token.strip());
        }
      }
      if (!tokensFile.isBlank()) {
        try {
          for (String line : Files.readAllLines(Path.of(tokensFile))) {
            if (!line.isBlank()) {
              all.add(line.strip());
            }
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return all;
    }

    public boolean tls() {
      return !tlsCertFile.isBlank();
    }
  }

  private static void check(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
