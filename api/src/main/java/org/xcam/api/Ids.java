package org.xcam.api;

import java.util.regex.Pattern;

/** Names of engines, methods, metrics and options are ids: {@code [a-z0-9-]{1,64}}. */
public final class Ids {
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

  private Ids() { }

  public static boolean valid(String name) { return name != null && ID.matcher(name).matches(); }

  /** Returns {@code name} or throws {@link XcamException} saying it is not a valid id. */
  public static String check(String name, String kind) {
    if (!valid(name)) throw new XcamException(kind + " name '" + name + "' is not a valid id ([a-z0-9-]{1,64}, starting with a letter or digit)");
    return name;
  }
}
