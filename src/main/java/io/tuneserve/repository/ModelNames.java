package io.tuneserve.repository;

import java.util.regex.Pattern;

/** What a model name and a version may look like; nothing else reaches the file system. */
public final class ModelNames {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
  private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,17}");

  private ModelNames() {}

  public static boolean isValidName(String name) {
    return name != null && NAME.matcher(name).matches() && !name.contains("..");
  }

  /** A version directory name or request path segment: a positive integer. */
  public static boolean isValidVersion(String version) {
    return version != null && VERSION.matcher(version).matches();
  }
}
