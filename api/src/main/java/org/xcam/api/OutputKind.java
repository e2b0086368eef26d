package org.xcam.api;

import java.util.Locale;

/**
 * What a model's K outputs are: {@link #LOGITS} (the default; xcam applies sigmoid or softmax where a probability is
 * needed) or {@link #PROBABILITIES} (the model applies sigmoid or softmax itself, perhaps with further
 * post-processing such as an operating-point rescaling). Bundle manifest field {@code "outputs"}; engine option
 * {@code outputs=} for plain files. Decides how {@code --target all:P} thresholds, what the class objective is called,
 * and the category-independent objective ({@link Objectives#categoryIndependent(ModelInfo)}).
 */
public enum OutputKind {
  /** Unnormalised scores: sigmoid (multilabel) or softmax (multiclass) turn them into probabilities. */
  LOGITS,
  /** Probabilities in [0, 1], used as they are. */
  PROBABILITIES;

  /** The manifest spelling: {@code logits} or {@code probabilities}. */
  public String id() { return name().toLowerCase(Locale.ROOT); }

  /** Parses {@code logits} or {@code probabilities} (a one-line {@link InvalidInputException} otherwise). */
  public static OutputKind fromId(String id) {
    for (OutputKind k : values()) if (k.id().equals(id == null ? "" : id.trim().toLowerCase(Locale.ROOT))) return k;
    throw new InvalidInputException("unknown output kind '" + id + "'; use logits (the default) or probabilities");
  }
}
