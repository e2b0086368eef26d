/**
 * The gradient and activation CAM family, written once in Java over {@link org.xcam.api.LayerHook} so it runs on every
 * engine that offers a layer cut and a vector-Jacobian product.
 *
 * <p>Methods (CLI names): {@code gradcam}, {@code gradcam-plusplus}, {@code hirescam}, {@code gradcam-elementwise},
 * {@code xgradcam}, {@code layercam}, {@code eigencam}, {@code eigengradcam}, {@code gg-cam},
 * {@code smooth-gradcam-plusplus}, {@code shapleycam}, {@code hessian-ciam}, and the input-gradient family
 * {@code saliency}, {@code gradient-x-input}, {@code integrated-gradients}, {@code smoothgrad}.
 *
 * <p>Design: {@link org.xcam.plugins.gradient.GradientCam} is the one core. Per layer it runs one head on every input
 * row (images, their aug-smooth or noisy copies), expands activations where a method needs more rows (the
 * finite-difference partner {@code A + r v} of Hessian-CIAM and ShapleyCAM, the path of integrated gradients), and
 * makes one fused {@code tailWithGradient} call for every row of every image and objective, resolving the targets
 * inside that call's seed function from the unmodified image's output. The per-method step is a pure function of one
 * image's activation and gradient rows ({@code map}). So the single-pass methods cost exactly one head, one tail and one
 * VJP per batch, whatever the batch size; {@code eigencam} one head and one tail; a multilabel {@code all} target
 * one more tail (to learn how many labels each image has before batching one copy per label).
 *
 * <p>Conventions: raw maps are at the layer's resolution after the method's ReLU (input resolution for the input
 * family and for fused multi-layer maps); {@link org.xcam.api.Explanation#of} normalises and resizes. Divisions are
 * guarded exactly as pytorch-grad-cam guards them ({@code +1e-7}, {@code +1e-6}, {@code alpha = 0} where {@code g = 0}),
 * so no map is ever NaN. The sign of every SVD projection (EigenCAM, EigenGradCAM, eigen-smooth) is fixed to correlate
 * positively with the channel sum of what was projected; Hessian-CIAM uses the paper's own polarity rule.
 */
package org.xcam.plugins.gradient;
