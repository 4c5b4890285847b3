package io.tuneserve.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.FileUpload;
import io.netty.handler.codec.http.multipart.HttpPostMultipartRequestDecoder;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import io.tuneserve.dataset.ExampleSink;
import io.tuneserve.model.ServingException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A multipart form of images, for {@code curl -F sandal=@0001.png}: each file field is one example,
 * its field name the label. Decoded from the file the body was streamed to, a chunk at a time;
 * parts above 16 KB go to temporary files, so the form is never held whole in memory.
 */
final class MultipartUpload {
  private static final int CHUNK = 64 * 1024;

  private MultipartUpload() {}

  static void read(Path body, String contentType, ExampleSink sink) throws IOException {
    HttpRequest request =
        new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/datasets");
    request.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    HttpPostMultipartRequestDecoder decoder;
    try {
      decoder =
          new HttpPostMultipartRequestDecoder(
              new DefaultHttpDataFactory(DefaultHttpDataFactory.MINSIZE), request);
    } catch (HttpPostRequestDecoder.ErrorDataDecoderException e) {
      throw ServingException.invalid("malformed multipart form: " + e.getMessage());
    }
    try (InputStream in = Files.newInputStream(body)) {
      byte[] chunk = new byte[CHUNK];
      int n;
      while ((n = in.read(chunk)) > 0) {
        decoder.offer(new DefaultHttpContent(Unpooled.copiedBuffer(chunk, 0, n)));
        drain(decoder, sink);
      }
      decoder.offer(new DefaultLastHttpContent());
      drain(decoder, sink);
    } catch (HttpPostRequestDecoder.ErrorDataDecoderException e) {
      throw ServingException.invalid("malformed multipart form: " + e.getMessage());
    } finally {
      decoder.destroy();
    }
  }

  private static void drain(HttpPostMultipartRequestDecoder decoder, ExampleSink sink)
      throws IOException {
    try {
      while (decoder.hasNext()) {
        InterfaceHttpData part = decoder.next();
        try {
          if (!(part instanceof FileUpload file)) {
            throw ServingException.invalid(
                "form field '"
                    + part.getName()
                    + "' is not a file; each image is a file field named by its label");
          }
          sink.add(file.getName(), "'" + file.getFilename() + "'", file.get());
        } finally {
          decoder.removeHttpDataFromClean(part);
          part.release();
        }
      }
    } catch (HttpPostRequestDecoder.EndOfDataDecoderException e) {
      // every part of the chunks offered so far has been read
    }
  }
}
