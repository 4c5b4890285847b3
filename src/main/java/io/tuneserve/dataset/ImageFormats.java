package io.tuneserve.dataset;

/** The file extension an encoded image is stored under, from its first bytes. */
final class ImageFormats {
  private ImageFormats() {}

  static String of(byte[] image) {
    if (starts(image, 0x89, 'P', 'N', 'G')) {
      return "png";
    }
    if (starts(image, 0xff, 0xd8)) {
      return "jpg";
    }
    if (starts(image, 'G', 'I', 'F')) {
      return "gif";
    }
    if (starts(image, 'B', 'M')) {
      return "bmp";
    }
    return "img";
  }

  private static boolean starts(byte[] data, int... prefix) {
    if (data.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if ((data[i] & 0xff) != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
