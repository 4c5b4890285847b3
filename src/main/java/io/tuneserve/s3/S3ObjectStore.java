package io.tuneserve.s3;

import io.tuneserve.storage.ObjectStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Objects in a bucket of an S3-compatible store (AWS S3, MinIO, Ceph), under a key prefix, through
 * the AWS SDK for Java v2. Each object is written by one PUT, so it appears whole.
 */
public final class S3ObjectStore implements ObjectStore, AutoCloseable {
  public static final String KIND = "s3";

  private final S3Client client;
  private final String bucket;
  private final String prefix;

  /**
   * Connects to the bucket, checking that it exists.
   *
   * @param endpoint the store's URL ({@code http://127.0.0.1:9000}); blank for AWS itself
   * @param accessKeyId blank to take credentials from the AWS default chain (environment, profile)
   * @param prefix prepended to every key ({@code tuneserve/}); may be blank
   */
  public S3ObjectStore(
      String endpoint,
      String region,
      String bucket,
      String prefix,
      boolean pathStyle,
      String accessKeyId,
      String secretAccessKey)
      throws IOException {
    AwsCredentialsProvider credentials =
        accessKeyId.isBlank()
            ? DefaultCredentialsProvider.builder().build()
            : StaticCredentialsProvider.create(
                AwsBasicCredentials.create(accessKeyId, secretAccessKey));
    S3ClientBuilder builder =
        S3Client.builder()
            .httpClientBuilder(UrlConnectionHttpClient.builder())
            .region(Region.of(region))
            .forcePathStyle(pathStyle)
            // Checksums only where S3 requires them: S3-compatible stores do not all take the
            // trailing checksums the SDK would otherwise send with every upload.
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .credentialsProvider(credentials);
    if (!endpoint.isBlank()) {
      builder.endpointOverride(URI.create(endpoint));
    }
    this.client = builder.build();
    this.bucket = bucket;
    this.prefix = prefix.isBlank() || prefix.endsWith("/") ? prefix : prefix + "/";
    try {
      client.headBucket(request -> request.bucket(bucket));
    } catch (NoSuchBucketException e) {
      client.close();
      throw new IOException("the S3 bucket " + bucket + " does not exist at " + where(endpoint));
    } catch (SdkException e) {
      client.close();
      throw new IOException(
          "cannot reach the S3 bucket " + bucket + " at " + where(endpoint) + ": " + e.getMessage(),
          e);
    }
  }

  private static String where(String endpoint) {
    return endpoint.isBlank() ? "AWS" : endpoint;
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public void put(String key, Path file) throws IOException {
    call(
        key,
        () ->
            client.putObject(r -> r.bucket(bucket).key(prefix + key), RequestBody.fromFile(file)));
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    call(
        key,
        () ->
            client.putObject(
                r -> r.bucket(bucket).key(prefix + key), RequestBody.fromBytes(content)));
  }

  @Override
  public Optional<byte[]> read(String key) throws IOException {
    try {
      return Optional.of(
          client.getObjectAsBytes(r -> r.bucket(bucket).key(prefix + key)).asByteArray());
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (SdkException e) {
      throw failure(key, e);
    }
  }

  @Override
  public void download(String key, Path file) throws IOException {
    Files.deleteIfExists(file);
    try {
      client.getObject(r -> r.bucket(bucket).key(prefix + key), ResponseTransformer.toFile(file));
    } catch (NoSuchKeyException e) {
      throw new NoSuchFileException("s3://" + bucket + "/" + prefix + key);
    } catch (SdkException e) {
      Files.deleteIfExists(file);
      throw failure(key, e);
    }
  }

  @Override
  public List<String> children(String folder) throws IOException {
    String under = prefix + folder;
    TreeSet<String> names = new TreeSet<>();
    try {
      for (ListObjectsV2Response page :
          client.listObjectsV2Paginator(
              ListObjectsV2Request.builder().bucket(bucket).prefix(under).delimiter("/").build())) {
        for (CommonPrefix common : page.commonPrefixes()) {
          String name = common.prefix().substring(under.length());
          names.add(name.endsWith("/") ? name.substring(0, name.length() - 1) : name);
        }
        for (S3Object object : page.contents()) {
          names.add(object.key().substring(under.length()));
        }
      }
    } catch (SdkException e) {
      throw failure(folder, e);
    }
    names.remove("");
    return List.copyOf(names);
  }

  @Override
  public void delete(String key) throws IOException {
    call(key, () -> client.deleteObject(r -> r.bucket(bucket).key(prefix + key)));
  }

  /**
   * One DELETE per object: the batch delete needs a checksum header that S3-compatible stores do
   * not all take, and the folders here hold a handful of objects.
   */
  @Override
  public void deleteAll(String folder) throws IOException {
    try {
      for (ListObjectsV2Response page :
          client.listObjectsV2Paginator(
              ListObjectsV2Request.builder().bucket(bucket).prefix(prefix + folder).build())) {
        for (S3Object object : page.contents()) {
          client.deleteObject(r -> r.bucket(bucket).key(object.key()));
        }
      }
    } catch (SdkException e) {
      throw failure(folder, e);
    }
  }

  private void call(String key, Runnable request) throws IOException {
    try {
      request.run();
    } catch (SdkException e) {
      throw failure(key, e);
    }
  }

  private IOException failure(String key, SdkException e) {
    return new IOException("S3 " + bucket + "/" + prefix + key + ": " + e.getMessage(), e);
  }

  @Override
  public void close() {
    client.close();
  }
}
