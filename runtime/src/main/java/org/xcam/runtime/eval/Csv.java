package org.xcam.runtime.eval;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.xcam.api.InvalidInputException;

/** Minimal RFC 4180 CSV: quoted fields with doubled quotes, comma separated, one record per line. */
final class Csv {
  private Csv() { }

  static List<String> parseLine(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"') {
          if (i + 1 < line.length() && line.charAt(i + 1) == '"') { cur.append('"'); i++; }
          else quoted = false;
        } else cur.append(c);
      } else if (c == '"') quoted = true;
      else if (c == ',') { out.add(cur.toString()); cur.setLength(0); }
      else cur.append(c);
    }
    out.add(cur.toString());
    return out;
  }

  static String field(String s) {
    if (s == null) return "";
    if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
    return '"' + s.replace("\"", "\"\"").replace('\n', ' ').replace('\r', ' ') + '"';
  }

  static String line(List<String> fields) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < fields.size(); i++) {
      if (i > 0) b.append(',');
      b.append(field(fields.get(i)));
    }
    return b.toString();
  }

  /** Streams the records of a file (the first line is the header, handed to the consumer like any record). */
  static void read(Path file, Consumer<List<String>> sink) {
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) continue;
        if (line.charAt(0) == '\uFEFF') line = line.substring(1);
        sink.accept(parseLine(line));
      }
    } catch (IOException e) {
      throw new InvalidInputException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
