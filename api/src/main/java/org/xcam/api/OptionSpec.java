package org.xcam.api;

/**
 * A method or metric option: its name (an id), default value (as text), and a one-line description.
 *
 * <pre>{@code new OptionSpec("batch-size", "32", "images per forward batch")}</pre>
 */
public record OptionSpec(String name, String defaultValue, String description) {
  public OptionSpec {
    Ids.check(name, "option");
  }
}
