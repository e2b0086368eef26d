package org.xcam.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Option values for a method or metric, checked against its {@link OptionSpec}s: unknown names are rejected with the
 * list of known ones, missing ones take their defaults, typed getters say which value is bad.
 *
 * <pre>{@code
 * Options o = Options.of(provider.options(), Map.of("batch-size", "16"));
 * int b = o.getInt("batch-size");
 * }</pre>
 */
public final class Options {
  private final Map<String, String> values;
  private final String owner;

  private Options(String owner, Map<String, String> values) {
    this.owner = owner;
    this.values = values;
  }

  /** Defaults of {@code specs} overridden by {@code given}; unknown keys fail. */
  public static Options of(String owner, List<OptionSpec> specs, Map<String, String> given) {
    Map<String, String> v = new TreeMap<>();
    for (OptionSpec s : specs) v.put(s.name(), s.defaultValue());
    for (Map.Entry<String, String> e : given.entrySet()) {
      if (!v.containsKey(e.getKey())) {
        throw UnknownNameException.of("option for " + owner, e.getKey(), v.keySet(), "see: xcam list");
      }
      v.put(e.getKey(), e.getValue());
    }
    return new Options(owner, v);
  }

  /** All defaults. */
  public static Options defaults(String owner, List<OptionSpec> specs) { return of(owner, specs, Map.of()); }

  /** No options at all (for tests and option-less providers). */
  public static Options empty() { return new Options("", Map.of()); }

  public Set<String> names() { return values.keySet(); }

  /** All values (defaults included), for manifests. */
  public Map<String, String> asMap() { return new LinkedHashMap<>(values); }

  public boolean has(String name) { return values.containsKey(name) && values.get(name) != null && !values.get(name).isEmpty(); }

  public String getString(String name) {
    if (!values.containsKey(name)) throw UnknownNameException.of("option for " + owner, name, values.keySet(), null);
    return values.get(name);
  }

  public int getInt(String name) {
    try { return Integer.parseInt(getString(name).trim()); }
    catch (NumberFormatException e) { throw bad(name, "an integer"); }
  }

  public long getLong(String name) {
    try { return Long.parseLong(getString(name).trim()); }
    catch (NumberFormatException e) { throw bad(name, "an integer"); }
  }

  public double getDouble(String name) {
    try {
      double d = Double.parseDouble(getString(name).trim());
      if (!Double.isFinite(d)) throw new NumberFormatException();
      return d;
    } catch (NumberFormatException e) { throw bad(name, "a finite number"); }
  }

  public boolean getBoolean(String name) {
    String s = getString(name).trim().toLowerCase(java.util.Locale.ROOT);
    return switch (s) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> throw bad(name, "true or false");
    };
  }

  /** One of {@code allowed}. */
  public String getChoice(String name, String... allowed) {
    String s = getString(name).trim();
    for (String a : allowed) if (a.equals(s)) return s;
    throw new InvalidInputException("option " + name + " of " + owner + " is '" + s + "'; use one of " + String.join(", ", allowed));
  }

  private InvalidInputException bad(String name, String what) {
    return new InvalidInputException("option " + name + " of " + owner + " must be " + what + ", got '" + values.get(name) + "'");
  }

  @Override public String toString() { return values.toString(); }
}
