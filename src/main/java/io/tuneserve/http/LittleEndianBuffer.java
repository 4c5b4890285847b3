package io.tuneserve.http;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** A growable little-endian byte buffer for assembling tensor data. */
final class LittleEndianBuffer {
  private ByteBuffer buffer;

  LittleEndianBuffer(int initialCapacity) {
    buffer = ByteBuffer.allocate(Math.max(16, initialCapacity)).order(ByteOrder.LITTLE_ENDIAN);
  }

  private ByteBuffer room(int bytes) {
    if (buffer.remaining() < bytes) {
      int capacity = Math.max(buffer.capacity() * 2, buffer.position() + bytes);
      ByteBuffer grown = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
      buffer.flip();
      grown.put(buffer);
      buffer = grown;
    }
    return buffer;
  }

  void putFloat(float v) {
    room(4).putFloat(v);
  }

  void putDouble(double v) {
    room(8).putDouble(v);
  }

  void putInt(int v) {
    room(4).putInt(v);
  }

  void putLong(long v) {
    room(8).putLong(v);
  }

  void put(byte v) {
    room(1).put(v);
  }

  void put(byte[] bytes) {
    room(bytes.length).put(bytes);
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buffer.array(), buffer.position());
  }
}
