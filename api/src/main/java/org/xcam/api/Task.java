package org.xcam.api;

import java.util.Locale;

/** What the model's outputs mean. Decides the default objectives (softmax vs sigmoid, etc.). */
public enum Task {
  /** Softmax over K logits; one label per image. */
  MULTICLASS,
  /** Independent sigmoid per logit; several labels per image (the usual chest X-ray set-up). */
  MULTILABEL,
  /** K real outputs, e.g. a severity score. */
  REGRESSION,
  /** Anatomy-driven detection: region boxes, region presence and per-region pathology probabilities. */
  ANATOMY_DETECTION;

  /** The manifest spelling: {@code multiclass}, {@code multilabel}, {@code regression}, {@code anatomy-detection}. */
  public String id() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

  public static Task fromId(String id) {
    for (Task t : values()) if (t.id().equals(id)) return t;
    throw new InvalidInputException("unknown task '" + id + "'; use one of multiclass, multilabel, regression, anatomy-detection");
  }
}
