package org.xcam.api;

import java.util.List;
import java.util.Map;

/**
 * One map for one image and one objective: the raw map (the method's own resolution), the normalised map at the
 * input's H x W, what was explained, and what it cost.
 *
 * @param index     the image's position in the request's batch
 * @param raw       the method's map at its native resolution, after its ReLU, before normalisation
 * @param map       {@code raw} min-max normalised to [0,1] and bilinearly resized to the input H x W
 * @param classIndex the explained class, or -1 for category-independent objectives
 * @param label     the explained class's label (or the objective's description)
 * @param score     the objective's value on the unmodified input
 * @param objective the objective's description
 * @param passes    network passes this explanation took (shared batched passes are counted for every image)
 * @param extras    method-specific numbers for manifests (e.g. IBA's {@code totalBits}); never null
 * @param notes     remarks worth telling a user (e.g. "map is constant: all zeros"); never null
 */
public record Explanation(int index, Heatmap raw, Heatmap map, int classIndex, String label, double score,
                          String objective, Passes passes, Map<String, Object> extras, List<String> notes) {
  public Explanation {
    extras = extras == null ? Map.of() : Map.copyOf(extras);
    notes = notes == null ? List.of() : List.copyOf(notes);
  }

  /**
   * Builds an explanation from a raw map: normalises and resizes it to {@code inputHeight x inputWidth}, and notes a
   * constant map.
   */
  public static Explanation of(int index, Heatmap raw, int inputHeight, int inputWidth, Objective objective,
                               double score, Passes passes, Map<String, Object> extras) {
    Heatmap map = raw.toInput(inputHeight, inputWidth);
    List<String> notes = raw.constant()
        ? List.of("the raw map is constant (" + raw.max() + "), so the normalised map is all zeros") : List.of();
    return new Explanation(index, raw, map, objective.classIndex(),
        objective.classIndex() >= 0 ? labelOf(objective) : objective.describe(), score, objective.describe(), passes,
        extras, notes);
  }

  private static String labelOf(Objective o) {
    String d = o.describe();
    int a = d.lastIndexOf('('), b = d.lastIndexOf(')');
    return a >= 0 && b > a ? d.substring(a + 1, b) : d;
  }

  public Explanation withPasses(Passes p) {
    return new Explanation(index, raw, map, classIndex, label, score, objective, p, extras, notes);
  }

  public Explanation withNote(String note) {
    List<String> n = new java.util.ArrayList<>(notes);
    n.add(note);
    return new Explanation(index, raw, map, classIndex, label, score, objective, passes, extras, n);
  }
}
