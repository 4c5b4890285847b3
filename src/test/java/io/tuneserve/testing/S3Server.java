package io.tuneserve.testing;

import io.tuneserve.s3.S3ObjectStore;
import java.net.URI;
import java.util.Map;
import java.util.UUID;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3 server on loopback for tests: S3Proxy over an in-memory blob store, checking AWS
 * signatures, with one bucket of a fresh name.
 */
public final class S3Server implements AutoCloseable {
  public static final String ACCESS_KEY = "tuneserve-test";
  public static final String SECRET_KEY = "tuneserve-test-secret";
  private final S3Proxy proxy;
  private final BlobStoreContext context;
  private final String bucket = "bucket-" + UUID.randomUUID().toString().substring(0, 8);

  public S3Server() throws Exception {
    context =
        ContextBuilder.newBuilder("transient")
            .credentials("identity", "credential")
            .build(BlobStoreContext.class);
    context.getBlobStore().createContainerInLocation(null, bucket);
    proxy =
        S3Proxy.builder()
            .blobStore(context.getBlobStore())
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .build();
    proxy.start();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!"STARTED".equals(proxy.getState()) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  public String endpoint() {
    return "http://127.0.0.1:" + proxy.getPort();
  }

  public String bucket() {
    return bucket;
  }

  /** A client of the bucket, under {@code prefix}. */
  public S3ObjectStore store(String prefix) throws java.io.IOException {
    return new S3ObjectStore(endpoint(), "us-east-1", bucket, prefix, true, ACCESS_KEY, SECRET_KEY);
  }

  /** The configuration keys that point a server at this bucket. */
  public Map<String, Object> settings(String prefix) {
    return Map.of(
        "s3.endpoint", endpoint(),
        "s3.bucket", bucket,
        "s3.prefix", prefix,
        "s3.access_key_id", ACCESS_KEY,
        "s3.secret_access_key", SECRET_KEY);
  }

  /** How many objects the bucket holds under {@code prefix}. */
  public long objects(String prefix) {
    return context
        .getBlobStore()
        .list(
            bucket,
            org.jclouds.blobstore.options.ListContainerOptions.Builder.prefix(prefix).recursive())
        .stream()
        .filter(m -> m.getType() == org.jclouds.blobstore.domain.StorageType.BLOB)
        .count();
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
    context.close();
  }
}
