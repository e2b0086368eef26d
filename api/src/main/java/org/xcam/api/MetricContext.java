package org.xcam.api;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What a metric may look at for one explanation: the heatmap (normalised, input H x W), and, as the metric needs,
 * ground-truth boxes or a mask, a human saliency map, a severity map, the model with the input and objective (for
 * faithfulness), and a seed. Missing pieces raise {@link InvalidInputException} naming what the metric needs.
 *
 * <pre>{@code
 * MetricContext ctx = MetricContext.builder(e.map())
 *     .boxes(List.of(Box.of(10, 12, 30, 28, "nodule")))
 *     .model(model, input, objective)
 *     .build();
 * }</pre>
 */
public final class MetricContext {
  /** What a metric can need. */
  public enum Need { BOXES, MASK, SALIENCY, SEVERITY, MODEL }

  private final Heatmap heatmap;
  private final List<Box> boxes;
  private final Tensor mask;
  private final Tensor saliency;
  private final Tensor severity;
  private final Model model;
  private final Tensor input;
  private final Objective objective;
  private final long seed;

  private MetricContext(Builder b) {
    this.heatmap = b.heatmap;
    this.boxes = b.boxes;
    this.mask = b.mask;
    this.saliency = b.saliency;
    this.severity = b.severity;
    this.model = b.model;
    this.input = b.input;
    this.objective = b.objective;
    this.seed = b.seed;
  }

  public static Builder builder(Heatmap heatmap) { return new Builder(heatmap); }

  /** The heatmap to score (normalised, at the input's resolution). */
  public Heatmap heatmap() { return heatmap; }

  /** Ground-truth boxes in the heatmap's pixel coordinates. */
  public List<Box> boxes() {
    if (boxes == null) throw new InvalidInputException("this metric needs ground-truth boxes; give a dataset with boxes");
    return boxes;
  }

  /** Ground-truth mask {@code [H, W]}, non-zero inside. */
  public Tensor mask() {
    if (mask == null) throw new InvalidInputException("this metric needs a ground-truth mask; give a dataset with masks");
    return mask;
  }

  /** Human saliency map {@code [H, W]}. */
  public Tensor saliency() {
    if (saliency == null) throw new InvalidInputException("this metric needs a human saliency map");
    return saliency;
  }

  /** Severity-score map {@code [H, W]} (regression models). */
  public Tensor severity() {
    if (severity == null) throw new InvalidInputException("this metric needs a severity map; use a regression dataset");
    return severity;
  }

  public Model model() {
    if (model == null) throw new InvalidInputException("this metric needs the model (a faithfulness metric)");
    return model;
  }

  /** The explained input {@code [1, C, H, W]}. */
  public Tensor input() {
    if (input == null) throw new InvalidInputException("this metric needs the input image");
    return input;
  }

  public Objective objective() {
    if (objective == null) throw new InvalidInputException("this metric needs the explained objective");
    return objective;
  }

  public long seed() { return seed; }

  /** What this context holds. */
  public Set<Need> available() {
    EnumSet<Need> s = EnumSet.noneOf(Need.class);
    if (boxes != null) s.add(Need.BOXES);
    if (mask != null) s.add(Need.MASK);
    if (saliency != null) s.add(Need.SALIENCY);
    if (severity != null) s.add(Need.SEVERITY);
    if (model != null && input != null && objective != null) s.add(Need.MODEL);
    return s;
  }

  public static final class Builder {
    private final Heatmap heatmap;
    private List<Box> boxes;
    private Tensor mask;
    private Tensor saliency;
    private Tensor severity;
    private Model model;
    private Tensor input;
    private Objective objective;
    private long seed;

    private Builder(Heatmap heatmap) { this.heatmap = heatmap; }

    public Builder boxes(List<Box> b) { this.boxes = List.copyOf(b); return this; }
    public Builder mask(Tensor m) { this.mask = m; return this; }
    public Builder saliency(Tensor s) { this.saliency = s; return this; }
    public Builder severity(Tensor s) { this.severity = s; return this; }
    public Builder model(Model m, Tensor in, Objective o) {
      this.model = m;
      this.input = in.rank() == 3 ? in.unsqueeze() : in;
      this.objective = o;
      return this;
    }
    public Builder seed(long s) { this.seed = s; return this; }
    public MetricContext build() { return new MetricContext(this); }
  }
}
