package org.xcam.api.bundle;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xcam.api.InvalidInputException;

/**
 * A minimal JSON reader and writer (JDK only) for manifests. Objects become {@code LinkedHashMap<String,Object>},
 * arrays {@code List<Object>}, numbers {@code Double} (or {@code Long} when integral), plus String, Boolean, null.
 */
public final class Json {
  private final String s;
  private int i;

  private Json(String s) { this.s = s; }

  public static Object parse(String text) {
    Json j = new Json(text);
    j.ws();
    Object v = j.value();
    j.ws();
    if (j.i != j.s.length()) throw j.error("trailing characters");
    return v;
  }

  private InvalidInputException error(String what) {
    int line = 1;
    for (int k = 0; k < Math.min(i, s.length()); k++) if (s.charAt(k) == '\n') line++;
    return new InvalidInputException("malformed JSON at line " + line + ": " + what);
  }

  private void ws() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }

  private Object value() {
    if (i >= s.length()) throw error("unexpected end");
    char c = s.charAt(i);
    switch (c) {
      case '{': return object();
      case '[': return array();
      case '"': return string();
      case 't': return literal("true", Boolean.TRUE);
      case 'f': return literal("false", Boolean.FALSE);
      case 'n': return literal("null", null);
      default: return number();
    }
  }

  private Object literal(String word, Object v) {
    if (!s.startsWith(word, i)) throw error("expected " + word);
    i += word.length();
    return v;
  }

  private Map<String, Object> object() {
    Map<String, Object> m = new LinkedHashMap<>();
    i++;
    ws();
    if (i < s.length() && s.charAt(i) == '}') { i++; return m; }
    while (true) {
      ws();
      if (i >= s.length() || s.charAt(i) != '"') throw error("expected a key");
      String k = string();
      ws();
      if (i >= s.length() || s.charAt(i) != ':') throw error("expected ':'");
      i++;
      ws();
      m.put(k, value());
      ws();
      if (i >= s.length()) throw error("unexpected end in object");
      char c = s.charAt(i++);
      if (c == '}') return m;
      if (c != ',') throw error("expected ',' or '}'");
    }
  }

  private List<Object> array() {
    List<Object> l = new ArrayList<>();
    i++;
    ws();
    if (i < s.length() && s.charAt(i) == ']') { i++; return l; }
    while (true) {
      ws();
      l.add(value());
      ws();
      if (i >= s.length()) throw error("unexpected end in array");
      char c = s.charAt(i++);
      if (c == ']') return l;
      if (c != ',') throw error("expected ',' or ']'");
    }
  }

  private String string() {
    StringBuilder b = new StringBuilder();
    i++;
    while (i < s.length()) {
      char c = s.charAt(i++);
      if (c == '"') return b.toString();
      if (c == '\\') {
        if (i >= s.length()) break;
        char e = s.charAt(i++);
        switch (e) {
          case 'n' -> b.append('\n');
          case 't' -> b.append('\t');
          case 'r' -> b.append('\r');
          case 'b' -> b.append('\b');
          case 'f' -> b.append('\f');
          case 'u' -> { b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
          default -> b.append(e);
        }
      } else {
        b.append(c);
      }
    }
    throw error("unterminated string");
  }

  private Object number() {
    int start = i;
    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
    String t = s.substring(start, i);
    if (t.isEmpty()) throw error("unexpected character '" + s.charAt(i) + "'");
    try {
      if (t.matches("-?\\d+")) return Long.parseLong(t);
      return Double.parseDouble(t);
    } catch (NumberFormatException e) {
      throw error("bad number '" + t + "'");
    }
  }

  /** Writes a value (Map, List, String, Number, Boolean, null, float[]/double[]/int[]) as indented JSON. */
  public static String write(Object v) {
    StringBuilder b = new StringBuilder();
    write(b, v, 0);
    return b.append('\n').toString();
  }

  private static void write(StringBuilder b, Object v, int indent) {
    if (v == null) b.append("null");
    else if (v instanceof String str) quote(b, str);
    else if (v instanceof Double d) b.append(Double.isFinite(d) ? num(d) : "null");
    else if (v instanceof Float f) b.append(Float.isFinite(f) ? num(f) : "null");
    else if (v instanceof Number || v instanceof Boolean) b.append(v);
    else if (v instanceof Map<?, ?> m) {
      if (m.isEmpty()) { b.append("{}"); return; }
      b.append("{\n");
      int n = 0;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        b.append("  ".repeat(indent + 1));
        quote(b, String.valueOf(e.getKey()));
        b.append(": ");
        write(b, e.getValue(), indent + 1);
        if (++n < m.size()) b.append(',');
        b.append('\n');
      }
      b.append("  ".repeat(indent)).append('}');
    } else if (v instanceof List<?> l) {
      boolean flat = l.stream().allMatch(x -> x == null || x instanceof Number || x instanceof Boolean || x instanceof String);
      b.append('[');
      for (int k = 0; k < l.size(); k++) {
        if (!flat) b.append('\n').append("  ".repeat(indent + 1));
        write(b, l.get(k), indent + 1);
        if (k < l.size() - 1) b.append(flat ? ", " : ",");
      }
      if (!flat && !l.isEmpty()) b.append('\n').append("  ".repeat(indent));
      b.append(']');
    } else if (v instanceof float[] fa) {
      List<Object> l = new ArrayList<>();
      for (float f : fa) l.add(f);
      write(b, l, indent);
    } else if (v instanceof double[] da) {
      List<Object> l = new ArrayList<>();
      for (double d : da) l.add(d);
      write(b, l, indent);
    } else if (v instanceof int[] ia) {
      List<Object> l = new ArrayList<>();
      for (int x : ia) l.add(x);
      write(b, l, indent);
    } else quote(b, v.toString());
  }

  private static String num(double d) {
    if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
    return Double.toString(d);
  }

  private static void quote(StringBuilder b, String str) {
    b.append('"');
    for (char c : str.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    b.append('"');
  }
}
