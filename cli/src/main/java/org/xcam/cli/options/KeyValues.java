package org.xcam.cli.options;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.InvalidInputException;

/** Repeatable {@code name=value} options ({@code --option}, {@code --conf}, ...), parsed the same way by xcam and xcam spark. */
public final class KeyValues {
  private KeyValues() { }

  /**
   * {@code name=value} pairs in the order given (a later name wins); none for null.
   *
   * @param what the option's name for the error message, e.g. {@code --option}
   */
  public static Map<String, String> pairs(List<String> kvs, String what) {
    Map<String, String> m = new LinkedHashMap<>();
    if (kvs == null) return m;
    for (String kv : kvs) {
      int i = kv.indexOf('=');
      if (i <= 0) throw new InvalidInputException(what + " '" + kv + "' must look like name=value");
      m.put(kv.substring(0, i).trim(), kv.substring(i + 1).trim());
    }
    return m;
  }

  /** {@code name.option=value} pairs grouped by name. */
  public static Map<String, Map<String, String>> scoped(List<String> kvs, String what) {
    Map<String, Map<String, String>> m = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : pairs(kvs, what).entrySet()) {
      int dot = e.getKey().indexOf('.');
      if (dot <= 0) throw new InvalidInputException(what + " '" + e.getKey() + "' must look like name.option=value");
      m.computeIfAbsent(e.getKey().substring(0, dot), k -> new LinkedHashMap<>()).put(e.getKey().substring(dot + 1), e.getValue());
    }
    return m;
  }
}
