/**
 * Information Bottleneck Attribution and its variants, written once in Java over the engine's head, tail and VJP.
 *
 * <h2>Methods</h2>
 * <ul>
 *   <li>{@code iba} ({@link org.xcam.plugins.iba.IbaProvider}): the per-sample bottleneck of Schulz et al. 2020.</li>
 *   <li>{@code inverse-iba} ({@link org.xcam.plugins.iba.InverseIbaProvider}): Khakzar et al. 2021; marks every
 *       region with predictive information, redundant ones included (beta 30).</li>
 *   <li>{@code regression-iba} ({@link org.xcam.plugins.iba.RegressionIbaProvider}): model loss mse / rm / dv on a
 *       regression output.</li>
 *   <li>{@code multilayer-iba} ({@link org.xcam.plugins.iba.MultiLayerIbaProvider}): IBA at every layer, thresholded
 *       maps multiplied or intersected at input resolution.</li>
 * </ul>
 * The math, the gradient and the optimiser are in {@link org.xcam.plugins.iba.Bottleneck}; the model losses in
 * {@link org.xcam.plugins.iba.ModelLoss}.
 *
 * <h2>Activation statistics (decisions)</h2>
 * <ul>
 *   <li>Per element ({@code [C,H,W]}) by default, as in the paper; per channel on request
 *       ({@code xcam estimate --mode channel}). See {@link org.xcam.plugins.iba.ActivationStats}.</li>
 *   <li>Estimated once with {@code xcam estimate} (streaming Welford/Chan, one head pass per batch, default 1000
 *       images, a warning below 100) and stored beside the model in {@code xcam-stats/}. A missing file is a one-line
 *       error naming the command; the explainers never estimate from the images they explain (see
 *       {@link org.xcam.plugins.iba.StatsSource} for why). Option {@code stats=DIR} points elsewhere (also
 *       {@code DIR/<model name>/}).</li>
 *   <li>sigma is floored at 0.01 when used (option {@code min-std}); the stored std is the raw estimate.</li>
 *   <li>Explanations made with statistics from fewer than 100 images carry a note saying so.</li>
 * </ul>
 *
 * <h2>Cost</h2>
 * Per chunk of {@code images-per-call} images (default 8): 1 head (whole batch) + {@code steps} x (1 batched tail +
 * 1 batched VJP) with {@code images x samples} rows; the clean activations ride in the first call so the target and
 * the score need no extra pass. Defaults: 1 head + 10 tail + 10 vjp.
 *
 * <h2>Differences from the reference implementation, all documented where they are made</h2>
 * <ul>
 *   <li>The map is the capacity at the final alpha (the reference returns the capacity of its last forward pass,
 *       one Adam step earlier).</li>
 *   <li>No "active neurons" mask (units never non-zero in the data); their KL at F = mu is small and they are not
 *       treated specially.</li>
 *   <li>lambda is capped at 1 - 1e-7 inside the KL, so a saturated sigmoid gives a large finite capacity.</li>
 *   <li>{@code rm} is taken as "keep what keeps the score high" ({@code -Phi(Z)^2}); see
 *       {@link org.xcam.plugins.iba.ModelLoss.RegressionLoss#RM}.</li>
 * </ul>
 */
package org.xcam.plugins.iba;
