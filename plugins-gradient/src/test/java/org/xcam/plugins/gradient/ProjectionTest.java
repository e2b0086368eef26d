package org.xcam.plugins.gradient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The power-iteration first component against EJML's full SVD, on activation-like random matrices. */
@DisplayName("First principal projection: power iteration and Gram eigenvector vs EJML SVD")
class ProjectionTest {
  @ParameterizedTest(name = "{0} positions x {1} channels, seed {2}")
  @CsvSource({"64, 64, 1", "256, 48, 2", "49, 512, 3", "9, 2, 4", "196, 256, 5", "1, 8, 6", "49, 300, 0", "150, 40, 0"})
  @DisplayName("Equals sigma_1 u_1 of the SVD up to sign, within 1e-6 relative (float32 maps need 1e-7 at most)")
  void agrees(int hw, int k, long seed) {
    Random r = new Random(seed);
    double[] comp = new double[hw * k];
    // ReLU'd activations with a shared spatial pattern (a dominant component, as in real feature maps); seed 0: pure
    // noise, where the power iteration does not settle and the Gram-matrix eigendecomposition takes over
    double[] pattern = new double[hw];
    for (int p = 0; p < hw; p++) pattern[p] = seed == 0 ? 0 : r.nextGaussian();
    for (int c = 0; c < k; c++) {
      double gain = r.nextDouble();
      for (int p = 0; p < hw; p++) comp[c * hw + p] = Math.max(0, gain * pattern[p] + 0.5 * r.nextGaussian());
    }
    for (boolean centre : new boolean[] {true, false}) {
      double[] fast = CamMath.firstProjection(comp, k, hw, centre);
      double[] svd = CamMath.svdProjection(CamMath.matrix(comp, k, hw, centre), k, hw);
      double[] gram = CamMath.gramProjection(CamMath.matrix(comp, k, hw, centre), k, hw);
      double dot = 0, scale = 0;
      for (int p = 0; p < hw; p++) { dot += fast[p] * svd[p]; scale = Math.max(scale, Math.abs(svd[p])); }
      double sign = Math.signum(dot) == 0 ? 1 : Math.signum(dot);
      for (int p = 0; p < hw; p++) assertThat(sign * fast[p]).isCloseTo(svd[p], within(1e-6 * scale + 1e-12));
      double gdot = 0;
      for (int p = 0; p < hw; p++) gdot += gram[p] * svd[p];
      double gsign = gdot < 0 ? -1 : 1;
      for (int p = 0; p < hw; p++) assertThat(gsign * gram[p]).isCloseTo(svd[p], within(1e-6 * scale + 1e-12));
    }
  }
}
