package org.xcam.api;

/**
 * How many network passes a piece of work took, by kind. Recorded in every {@link Explanation} and manifest, and
 * declared by providers as their cost. Counts are calls; a batched call of N images counts once.
 *
 * @param forwards full-model forward calls
 * @param heads    head calls (input -> activation at a layer)
 * @param tails    tail calls (activation -> output), including the tail run inside a fused tail+VJP
 * @param vjps     vector-Jacobian products (backward passes)
 */
public record Passes(long forwards, long heads, long tails, long vjps) {
  public static final Passes NONE = new Passes(0, 0, 0, 0);

  public Passes plus(Passes o) {
    return new Passes(forwards + o.forwards, heads + o.heads, tails + o.tails, vjps + o.vjps);
  }

  public Passes minus(Passes o) {
    return new Passes(forwards - o.forwards, heads - o.heads, tails - o.tails, vjps - o.vjps);
  }

  public long total() { return forwards + heads + tails + vjps; }

  @Override public String toString() {
    return forwards + " forward, " + heads + " head, " + tails + " tail, " + vjps + " vjp";
  }
}
