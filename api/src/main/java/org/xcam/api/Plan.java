package org.xcam.api;

/**
 * What an explain call will cost, known before it runs ({@link Explainer#plan}): network evaluations per image, where
 * one image through the network once, forward (a full forward, a head or a tail) or backward (a VJP), counts 1; and a
 * few words on where the number comes from ("4000 masked images + 1 forward"). Callers compare it with a budget and
 * print it before a long run.
 *
 * @param evaluationsPerImage the count, or -1 when the method does not say
 * @param detail              the count in words, for messages
 */
public record Plan(long evaluationsPerImage, String detail) {
  /** A method that does not estimate its cost. */
  public static final Plan UNKNOWN = new Plan(-1, "");

  public Plan {
    detail = detail == null ? "" : detail;
  }

  public static Plan of(long evaluationsPerImage, String detail) {
    if (evaluationsPerImage < 0) throw new IllegalArgumentException("evaluations must be >= 0, got " + evaluationsPerImage);
    return new Plan(evaluationsPerImage, detail);
  }

  public boolean known() { return evaluationsPerImage >= 0; }
}
