package org.xcam.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.MetricContext;
import org.xcam.api.MetricResult;
import org.xcam.api.Tensor;

class SaliencyTest {
  @Test @DisplayName("Judd AUC by hand: map [0.9, 0.1, 0.5, 0.3], fixations at 0 and 3")
  void judd() {
    /*
     * Fixation values sorted: 0.9, 0.3; 2 fixations, 2 other pixels.
     *  thresh 0.9: 1 pixel >= it -> tp 1/2, fp (1-1)/2 = 0
     *  thresh 0.3: 3 pixels >= it -> tp 2/2, fp (3-2)/2 = 1/2
     * Curve (0,0) (0,0.5) (0.5,1) (1,1): area 0 + 0.5*(0.5+1)/2 + 0.5*(1+1)/2 = 0.375 + 0.5 = 0.875.
     * (The pairwise ROC AUC would be 3/4; AUC-Judd interpolates between fixation thresholds, as the MIT code does.)
     */
    MetricContext c = MetricContext.builder(M.map(1, 4, 0.9f, 0.1f, 0.5f, 0.3f))
        .saliency(Tensor.of(new float[] {1, 0, 0, 1}, 1, 4)).build();
    assertThat(M.metric(new Saliency.JuddAuc()).score(c).value()).isCloseTo(0.875, within(1e-12));
  }

  /* map a = [0, 1, 2, 1], human b = [1, 1, 0, 0] */
  static MetricContext ab() {
    return MetricContext.builder(M.map(1, 4, 0, 1, 2, 1)).saliency(Tensor.of(new float[] {1, 1, 0, 0}, 1, 4)).build();
  }

  @Test @DisplayName("SIM: a -> [0, .5, 1, .5]/2 = [0, .25, .5, .25], b -> [.5, .5, 0, 0]; sum of minima 0.25")
  void sim() { assertThat(M.metric(new Saliency.Sim()).score(ab()).value()).isCloseTo(0.25, within(1e-12)); }

  @Test @DisplayName("CC: deviations [-1,0,1,0] and [.5,.5,-.5,-.5]: -1 / sqrt(2 * 1) = -0.70711")
  void cc() { assertThat(M.metric(new Saliency.Cc()).score(ab()).value()).isCloseTo(-1 / Math.sqrt(2), within(1e-12)); }

  @Test @DisplayName("NSS: mean 1, sample sd sqrt(2/3); fixations 0,1 -> ((0-1) + (1-1)) / sd / 2 = -0.61237")
  void nss() {
    assertThat(M.metric(new Saliency.Nss()).score(ab()).value()).isCloseTo(-0.5 / Math.sqrt(2 / 3.0), within(1e-12));
  }

  @Test @DisplayName("a human map without fixations makes AUC undefined with a reason, not a silent NaN")
  void noFixation() {
    MetricContext c = MetricContext.builder(M.map(1, 2, 0, 1)).saliency(Tensor.of(new float[] {0, 0}, 1, 2)).build();
    MetricResult r = M.metric(new Saliency.JuddAuc()).score(c);
    assertThat(r.note()).contains("fixation");
  }

  @Test @DisplayName("severity Pearson: same arithmetic as CC, -0.70711; a constant map gives 0 with a note")
  void severity() {
    MetricContext c = MetricContext.builder(M.map(1, 4, 0, 1, 2, 1)).severity(Tensor.of(new float[] {1, 1, 0, 0}, 1, 4)).build();
    assertThat(M.metric(new Regression.SeverityPearson()).score(c).value()).isCloseTo(-1 / Math.sqrt(2), within(1e-12));
    MetricContext k = MetricContext.builder(M.map(1, 4, 0, 0, 0, 0)).severity(Tensor.of(new float[] {1, 1, 0, 0}, 1, 4)).build();
    MetricResult r = M.metric(new Regression.SeverityPearson()).score(k);
    assertThat(r.value()).isEqualTo(0.0);
    assertThat(r.note()).contains("constant");
  }
}
