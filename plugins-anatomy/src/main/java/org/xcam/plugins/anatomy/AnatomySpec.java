package org.xcam.plugins.anatomy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.xcam.api.InvalidInputException;
import org.xcam.api.ModelInfo;
import org.xcam.api.Task;

/**
 * What an anatomy-driven detection (ADPD) model outputs, read from the {@code "anatomy"} object of its bundle
 * manifest (task {@code anatomy-detection}).
 *
 * <p><b>Flat output layout.</b> An xcam {@link org.xcam.api.Model} returns one {@code [N, K]} tensor, so the three
 * ADPD outputs (region boxes {@code [R, 4]}, region presence {@code [R]}, per-region pathology probabilities
 * {@code [R, P]}) are concatenated per image, row-major, into {@code K = R*4 + R + R*P} numbers:
 * {@code [boxes (R*4) | presence (R) | probs (R*P)]}. Boxes are normalised to [0, 1] in {@code cxcywh} or
 * {@code xyxy}; presence and pathology values are probabilities (after the sigmoid).
 *
 * <pre>{@code
 * "anatomy": {
 *   "regions": ["right upper zone", "right lower zone", ...],
 *   "pathologies": ["cardiomegaly", "effusion", "consolidation", "pneumonia"],
 *   "boxFormat": "cxcywh",
 *   "classes": {"cardiomegaly": ["cardiomegaly"], "effusion": ["effusion"],
 *               "opacity": ["consolidation", "pneumonia"]}
 * }
 * }</pre>
 *
 * @param regions     anatomical region names, R of them, in output order
 * @param pathologies training pathology names, P of them, in output order
 * @param boxFormat   {@code cxcywh} or {@code xyxy}, normalised
 * @param classes     evaluation class name -> indices of the training pathologies it is the mean of (many-to-one);
 *                    the identity when the manifest has no {@code classes}
 */
public record AnatomySpec(List<String> regions, List<String> pathologies, BoxFormat boxFormat,
                          Map<String, int[]> classes) {
  /** Box coordinate convention of the model's region boxes (normalised). */
  public enum BoxFormat {
    CXCYWH, XYXY;

    public static BoxFormat fromId(String s) {
      return switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "cxcywh" -> CXCYWH;
        case "xyxy" -> XYXY;
        default -> throw new InvalidInputException("anatomy boxFormat '" + s + "' is not known; use cxcywh or xyxy");
      };
    }

    public String id() { return name().toLowerCase(Locale.ROOT); }
  }

  public AnatomySpec {
    regions = List.copyOf(regions);
    pathologies = List.copyOf(pathologies);
    if (regions.isEmpty()) throw new InvalidInputException("anatomy spec lists no regions");
    if (pathologies.isEmpty()) throw new InvalidInputException("anatomy spec lists no pathologies");
    if (classes == null || classes.isEmpty()) {
      Map<String, int[]> id = new LinkedHashMap<>();
      for (int k = 0; k < pathologies.size(); k++) id.put(pathologies.get(k), new int[] {k});
      classes = id;
    }
    Map<String, int[]> c = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : classes.entrySet()) {
      int[] idx = e.getValue().clone();
      if (idx.length == 0) throw new InvalidInputException("anatomy class '" + e.getKey() + "' maps to no pathology");
      for (int i : idx) {
        if (i < 0 || i >= pathologies.size()) {
          throw new InvalidInputException("anatomy class '" + e.getKey() + "' maps to pathology index " + i + " of " + pathologies.size());
        }
      }
      c.put(e.getKey(), idx);
    }
    classes = java.util.Collections.unmodifiableMap(c);
  }

  /** Identity class mapping. */
  public static AnatomySpec of(List<String> regions, List<String> pathologies, BoxFormat format) {
    return new AnatomySpec(regions, pathologies, format, null);
  }

  public int numRegions() { return regions.size(); }
  public int numPathologies() { return pathologies.size(); }

  /** Evaluation class names, in manifest order. */
  public List<String> classNames() { return List.copyOf(classes.keySet()); }

  /** {@code R*4 + R + R*P}: the length of one flat output row. */
  public int outputSize() { return regions.size() * (5 + pathologies.size()); }

  /** Flat output labels for the manifest's {@code labels}: {@code box.<region>.<coord>}, {@code presence.<region>}, {@code prob.<region>.<pathology>}. */
  public List<String> flatLabels() {
    List<String> l = new ArrayList<>();
    String[] coords = boxFormat == BoxFormat.CXCYWH ? new String[] {"cx", "cy", "w", "h"} : new String[] {"x0", "y0", "x1", "y1"};
    for (String r : regions) for (String c : coords) l.add("box." + r + "." + c);
    for (String r : regions) l.add("presence." + r);
    for (String r : regions) for (String p : pathologies) l.add("prob." + r + "." + p);
    return l;
  }

  /** The spec of a loaded model (its manifest's {@code anatomy} object); fails if the model is not an ADPD model. */
  public static AnatomySpec of(ModelInfo info) {
    if (info.task() != Task.ANATOMY_DETECTION) {
      throw new InvalidInputException("model '" + info.name() + "' has task " + info.task().id()
          + "; anatomy-driven detection needs a bundle with task anatomy-detection (see plugins-anatomy/README.md)");
    }
    Object a = info.extra().get("anatomy");
    if (!(a instanceof Map<?, ?> m)) {
      throw new InvalidInputException("model '" + info.name() + "' has no \"anatomy\" object in its manifest; "
          + "add regions, pathologies and boxFormat (see plugins-anatomy/README.md)");
    }
    @SuppressWarnings("unchecked") AnatomySpec s = fromManifest((Map<String, Object>) m);
    if (s.outputSize() != info.numOutputs()) {
      throw new InvalidInputException("model '" + info.name() + "' has " + info.numOutputs() + " outputs but its anatomy spec ("
          + s.numRegions() + " regions, " + s.numPathologies() + " pathologies) needs R*(5+P) = " + s.outputSize());
    }
    return s;
  }

  /** Parses the manifest's {@code anatomy} object. */
  public static AnatomySpec fromManifest(Map<String, Object> m) {
    List<String> regions = strings(m.get("regions"), "regions");
    List<String> paths = strings(m.get("pathologies"), "pathologies");
    BoxFormat f = BoxFormat.fromId(m.get("boxFormat") instanceof String s ? s : "cxcywh");
    Map<String, int[]> classes = null;
    if (m.get("classes") instanceof Map<?, ?> cm) {
      classes = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : cm.entrySet()) {
        List<String> members = strings(e.getValue(), "classes." + e.getKey());
        Set<Integer> idx = new LinkedHashSet<>();
        for (String p : members) {
          int i = paths.indexOf(p);
          if (i < 0) {
            throw new InvalidInputException("anatomy class '" + e.getKey() + "' names pathology '" + p
                + "' which is not among " + paths);
          }
          idx.add(i);
        }
        classes.put(String.valueOf(e.getKey()), idx.stream().mapToInt(Integer::intValue).toArray());
      }
    }
    return new AnatomySpec(regions, paths, f, classes);
  }

  /** The manifest form of this spec (for exporters and tests). */
  public Map<String, Object> toManifest() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("regions", regions);
    m.put("pathologies", pathologies);
    m.put("boxFormat", boxFormat.id());
    Map<String, Object> c = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : classes.entrySet()) {
      List<String> names = new ArrayList<>();
      for (int i : e.getValue()) names.add(pathologies.get(i));
      c.put(e.getKey(), names);
    }
    m.put("classes", c);
    return m;
  }

  private static List<String> strings(Object v, String key) {
    if (!(v instanceof List<?> l) || l.isEmpty()) {
      throw new InvalidInputException("anatomy \"" + key + "\" must be a non-empty list of names");
    }
    List<String> out = new ArrayList<>();
    for (Object o : l) out.add(String.valueOf(o));
    return out;
  }
}
