package io.tuneserve.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tuneserve.model.ServingException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A fine-tuning job as a zip archive: {@code job.json} with the JSON request (base_model,
 * target_model, ...) and the images in one folder per label ({@code footwear/sandal.png}). Turned
 * into the JSON request with {@code {"b64": ...}} instances. Unpacking stops at a size limit, so an
 * archive cannot expand without bound.
 */
final class ArchiveJobs {
  static final String JOB_ENTRY = "job.json";

  private ArchiveJobs() {}

  static boolean isArchive(String contentType) {
    return contentType != null
        && (contentType.startsWith("application/zip")
            || contentType.startsWith("application/x-zip-compressed"));
  }

  static JsonNode toJson(byte[] archive, long maxUnpackedBytes) {
    ObjectNode job = null;
    ArrayNode instances = JsonNodeFactory.instance.arrayNode();
    ArrayNode labels = JsonNodeFactory.instance.arrayNode();
    long unpacked = 0;
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(archive))) {
      ZipEntry entry;
      while ((entry = zip.getNextEntry()) != null) {
        if (entry.isDirectory()) {
          continue;
        }
        byte[] content = readLimited(zip, maxUnpackedBytes - unpacked);
        unpacked += content.length;
        String name = entry.getName();
        if (name.equals(JOB_ENTRY)) {
          job = (ObjectNode) JsonBodies.parseObject(content, 0, content.length);
        } else {
          String[] parts = name.split("/", -1);
          if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw ServingException.invalid(
                "archive entry '"
                    + name
                    + "' is not <label>/<image>; put each image in a folder"
                    + " named by its label");
          }
          instances.addObject().put("b64", Base64.getEncoder().encodeToString(content));
          labels.add(parts[0]);
        }
      }
    } catch (IOException e) {
      throw ServingException.invalid("the body is not a readable zip archive: " + e.getMessage());
    }
    if (job == null) {
      throw ServingException.invalid("the archive needs a " + JOB_ENTRY + " with the JSON request");
    }
    if (job.has("instances") || job.has("labels")) {
      throw ServingException.invalid(
          "in an archive, images are files in label folders, not 'instances' in " + JOB_ENTRY);
    }
    job.set("instances", instances);
    job.set("labels", labels);
    return job;
  }

  private static byte[] readLimited(InputStream in, long remaining) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] chunk = new byte[8192];
    int n;
    while ((n = in.read(chunk)) > 0) {
      if (out.size() + (long) n > remaining) {
        throw ServingException.invalid("the archive unpacks to more than the body limit allows");
      }
      out.write(chunk, 0, n);
    }
    return out.toByteArray();
  }
}
