package org.xcam.api;

import java.util.Collection;

/**
 * A lookup by name missed: an unknown method, metric, engine, layer or option. The message lists what exists.
 *
 * <pre>{@code throw UnknownNameException.of("method", "gradcm", List.of("gradcam", "hirescam"),
 *     "add the plugin jar to the classpath");}</pre>
 */
public class UnknownNameException extends InvalidInputException {
  private final String kind;
  private final String name;

  public UnknownNameException(String kind, String name, String message) {
    super(message);
    this.kind = kind;
    this.name = name;
  }

  public static UnknownNameException of(String kind, String name, Collection<String> available, String hint) {
    String list = available.isEmpty() ? "(none)" : String.join(", ", available.stream().sorted().toList());
    return new UnknownNameException(kind, name,
        "unknown " + kind + " '" + name + "'; available: " + list + (hint == null || hint.isEmpty() ? "" : "; " + hint));
  }

  public String kind() { return kind; }
  public String name() { return name; }
}
