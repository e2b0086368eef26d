/**
 * Perturbation methods: Score-CAM, Ablation-CAM, RISE, occlusion (forward passes only, so they run on every engine,
 * ONNX included) and Feature CAM (a base CAM fused with an edge descriptor; {@link
 * org.xcam.plugins.perturbation.FeatureDescriptor} is this plugin's own SPI).
 *
 * <p>Shared engineering: every engine call is batched ({@code batch-size}, default 32); the inputs of a batch (masks,
 * ablated activations, occluded images) are built per batch on a helper thread while the engine runs the previous
 * batch, so memory is bounded by the batch, not by the number of masks or channels. Each call checks cancellation and
 * the pass budget ({@code max-passes} option and {@link org.xcam.api.ExplainRequest#maxPasses()}) and reports
 * progress ({@link org.xcam.api.ExplainRequest#progress()}). Results are accumulated in job order on the calling
 * thread, so maps do not depend on the batch size or timing.
 */
package org.xcam.plugins.perturbation;
