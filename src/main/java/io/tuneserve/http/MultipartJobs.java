package io.tuneserve.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.multipart.Attribute;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.FileUpload;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import io.tuneserve.model.ServingException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A fine-tuning job as a multipart form, for {@code curl -F}: a {@code job} field with the JSON
 * request (base_model, target_model, strategy, hyperparameters) and one file per image, its field
 * name being its label ({@code -F footwear=@sandal.png}). Turned into the JSON request with {@code
 * {"b64": ...}} instances, so both forms share one path.
 */
final class MultipartJobs {
  private MultipartJobs() {}

  static boolean isMultipart(String contentType) {
    return contentType != null && contentType.toLowerCase().startsWith("multipart/form-data");
  }

  static JsonNode toJson(String contentType, byte[] body) {
    FullHttpRequest request =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/jobs", Unpooled.wrappedBuffer(body));
    request.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    request.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
    HttpPostRequestDecoder decoder =
        new HttpPostRequestDecoder(new DefaultHttpDataFactory(false), request);
    try {
      ObjectNode job = null;
      ArrayNode instances = JsonNodeFactory.instance.arrayNode();
      ArrayNode labels = JsonNodeFactory.instance.arrayNode();
      for (InterfaceHttpData part : decoder.getBodyHttpDatas()) {
        if (part instanceof FileUpload file) {
          instances.addObject().put("b64", Base64.getEncoder().encodeToString(file.get()));
          labels.add(file.getName());
        } else if (part instanceof Attribute field && field.getName().equals("job")) {
          byte[] json = field.getValue().getBytes(StandardCharsets.UTF_8);
          JsonNode parsed = JsonBodies.parseObject(json, 0, json.length);
          job = (ObjectNode) parsed;
        }
      }
      if (job == null) {
        throw ServingException.invalid(
            "the form needs a 'job' field with the JSON request (base_model, target_model, ...)");
      }
      if (job.has("instances") || job.has("labels")) {
        throw ServingException.invalid(
            "in a form, images are file fields named by their label, not 'instances' in 'job'");
      }
      job.set("instances", instances);
      job.set("labels", labels);
      return job;
    } catch (HttpPostRequestDecoder.ErrorDataDecoderException e) {
      throw ServingException.invalid("malformed multipart form: " + e.getMessage());
    } catch (IOException e) {
      throw ServingException.invalid("cannot read the form: " + e.getMessage());
    } finally {
      decoder.destroy();
      request.release();
    }
  }
}
