package org.xcam.runtime.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.xcam.api.Box;
import org.xcam.api.InvalidInputException;

/**
 * Dataset-level detection scores: average precision at an IoU threshold, mean AP over IoU thresholds 0.1 ... 0.7
 * (the protocol of the ADPD paper's Table 1) and localisation accuracy at a box-score threshold. AP needs every image
 * at once (predictions are ranked across the dataset), so it is not a per-image {@link org.xcam.api.Metric}: feed
 * the images one by one with {@link #add}, then ask.
 *
 * <p><b>Matching</b> (per class, IoU threshold t): predictions of the class from all images are ranked by score
 * (ties keep the order they were added); each is a true positive when its image has a not yet matched ground-truth
 * box of that class with IoU &ge; t (the unmatched box of largest IoU is taken), otherwise a false positive.
 *
 * <p><b>AP</b> is the area under the precision-recall curve with all-point interpolation (PASCAL VOC 2010 onwards):
 * {@code sum_i (r_i - r_{i-1}) * max_{j >= i} p_j} over the ranked predictions. Classes without any ground-truth box
 * are left out of the means (their AP is undefined); {@link #classes()} lists those that count.
 *
 * <p><b>Localisation accuracy</b> ({@code loc-acc}) at IoU t and box-score threshold s, per class: the share of images
 * that are right about the class, where an image with ground truth of the class is right when one of its predictions
 * of the class scoring &ge; s overlaps one of those boxes with IoU &ge; t, and an image without is right when it has
 * no prediction of the class scoring &ge; s. The overall value is the mean over {@link #classes()}.
 *
 * <pre>{@code
 * DetectionEvaluator ev = new DetectionEvaluator();
 * for (Sample s : data) ev.add(s.truthBoxes(), detector.detect(s.image()));
 * double map = ev.meanAp();                 // mean over t = 0.1, 0.2, ..., 0.7
 * double ap5 = ev.meanAp(0.5);
 * double acc = ev.locAcc(0.1, 0.5);
 * }</pre>
 *
 * <p>Not thread-safe; one evaluator per run.
 */
public final class DetectionEvaluator {
  /** The IoU thresholds of the mAP: 0.1, 0.2, ..., 0.7. */
  public static final double[] IOU_THRESHOLDS = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7};

  private final List<List<Box>> truths = new ArrayList<>();
  private final List<List<Box>> predictions = new ArrayList<>();

  /** Adds one image's ground-truth and predicted boxes (same pixel frame; labels are the classes). Returns its index. */
  public int add(List<Box> truth, List<Box> predicted) {
    for (Box b : truth) if (b.label() == null) throw new InvalidInputException("a ground-truth box has no label: " + b);
    for (Box b : predicted) if (b.label() == null) throw new InvalidInputException("a predicted box has no label: " + b);
    truths.add(List.copyOf(truth));
    predictions.add(List.copyOf(predicted));
    return truths.size() - 1;
  }

  public int images() { return truths.size(); }

  /** The classes with at least one ground-truth box, sorted. */
  public List<String> classes() {
    TreeSet<String> s = new TreeSet<>();
    for (List<Box> t : truths) for (Box b : t) s.add(b.label());
    return List.copyOf(s);
  }

  /** AP of {@code label} at IoU threshold {@code iou}. */
  public double ap(String label, double iou) {
    return curve(label, iou).ap();
  }

  /** The precision-recall points of {@code label} at IoU {@code iou} (one per ranked prediction) and the AP. */
  public PrCurve curve(String label, double iou) {
    checkIou(iou);
    int nGt = 0;
    for (List<Box> t : truths) for (Box b : t) if (label.equals(b.label())) nGt++;
    if (nGt == 0) throw new InvalidInputException("class '" + label + "' has no ground-truth box, so its AP is undefined; classes: " + classes());
    record Pred(int image, Box box, int seq) { }
    List<Pred> preds = new ArrayList<>();
    int seq = 0;
    for (int i = 0; i < predictions.size(); i++) {
      for (Box b : predictions.get(i)) if (label.equals(b.label())) preds.add(new Pred(i, b, seq++));
    }
    preds.sort(Comparator.comparingDouble((Pred p) -> -p.box().score()).thenComparingInt(Pred::seq));
    List<boolean[]> matched = new ArrayList<>();
    for (List<Box> t : truths) matched.add(new boolean[t.size()]);
    double[] precision = new double[preds.size()], recall = new double[preds.size()];
    int tp = 0;
    for (int k = 0; k < preds.size(); k++) {
      Pred p = preds.get(k);
      List<Box> gt = truths.get(p.image());
      boolean[] used = matched.get(p.image());
      int best = -1;
      double bestIou = -1;
      for (int g = 0; g < gt.size(); g++) {
        if (used[g] || !label.equals(gt.get(g).label())) continue;
        double o = p.box().iou(gt.get(g));
        if (o >= iou && o > bestIou) { bestIou = o; best = g; }
      }
      if (best >= 0) { used[best] = true; tp++; }
      precision[k] = tp / (double) (k + 1);
      recall[k] = tp / (double) nGt;
    }
    return new PrCurve(precision, recall, allPointAp(precision, recall));
  }

  /** Mean AP over {@link #classes()} at one IoU threshold; 0 when no class has ground truth. */
  public double meanAp(double iou) {
    List<String> cs = classes();
    if (cs.isEmpty()) return 0;
    double s = 0;
    for (String c : cs) s += ap(c, iou);
    return s / cs.size();
  }

  /** mAP: {@link #meanAp(double)} averaged over {@link #IOU_THRESHOLDS}. */
  public double meanAp() {
    double s = 0;
    for (double t : IOU_THRESHOLDS) s += meanAp(t);
    return s / IOU_THRESHOLDS.length;
  }

  /** AP per class at {@code iou}, for tables. */
  public Map<String, Double> apPerClass(double iou) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (String c : classes()) m.put(c, ap(c, iou));
    return m;
  }

  /** Localisation accuracy of one class (definition in the class comment). */
  public double locAcc(String label, double iou, double scoreThreshold) {
    checkIou(iou);
    if (truths.isEmpty()) throw new InvalidInputException("no images were added");
    int right = 0;
    for (int i = 0; i < truths.size(); i++) {
      List<Box> gt = truths.get(i).stream().filter(b -> label.equals(b.label())).toList();
      List<Box> pr = predictions.get(i).stream().filter(b -> label.equals(b.label()) && b.score() >= scoreThreshold).toList();
      boolean ok;
      if (gt.isEmpty()) {
        ok = pr.isEmpty();
      } else {
        ok = false;
        for (Box p : pr) for (Box g : gt) if (p.iou(g) >= iou) ok = true;
      }
      if (ok) right++;
    }
    return right / (double) truths.size();
  }

  /** Mean {@link #locAcc(String, double, double)} over {@link #classes()}; 0 when no class has ground truth. */
  public double locAcc(double iou, double scoreThreshold) {
    List<String> cs = classes();
    if (cs.isEmpty()) return 0;
    double s = 0;
    for (String c : cs) s += locAcc(c, iou, scoreThreshold);
    return s / cs.size();
  }

  /** All-point interpolated AP of a ranked precision/recall sequence. */
  static double allPointAp(double[] precision, double[] recall) {
    int n = precision.length;
    double[] env = new double[n];
    double m = 0;
    for (int k = n - 1; k >= 0; k--) {
      m = Math.max(m, precision[k]);
      env[k] = m;
    }
    double ap = 0, prev = 0;
    for (int k = 0; k < n; k++) {
      if (recall[k] > prev) {
        ap += (recall[k] - prev) * env[k];
        prev = recall[k];
      }
    }
    return ap;
  }

  private static void checkIou(double iou) {
    if (!(iou > 0 && iou <= 1)) throw new InvalidInputException("IoU threshold must be in (0, 1], got " + iou);
  }

  /**
   * Precision and recall after each ranked prediction, and the AP.
   *
   * @param precision precision after the k-th prediction
   * @param recall    recall after the k-th prediction
   * @param ap        all-point interpolated average precision
   */
  public record PrCurve(double[] precision, double[] recall, double ap) { }
}
