/**
 * The {@code onnx} engine: any ONNX image classifier on ONNX Runtime, cut at any tensor, with gradients.
 *
 * <ul>
 *   <li>{@link org.xcam.engine.onnx.OnnxEngineProvider}: the SPI entry (plain {@code .onnx} files, bundles with
 *       {@code model.onnx}).</li>
 *   <li>{@link org.xcam.engine.onnx.OnnxModel}: loading, checks, the shape probe (one forward at batch 1 returning every
 *       node output), layers (4-D tensors that are clean cuts; default = the last one with more than one pixel, i.e.
 *       the last before global pooling), batched forward (a fixed batch of 1 loops).</li>
 *   <li>{@code OnnxGraph}: the ONNX protobuf schema compiled by the Maven build (src/main/proto/onnx.proto of ONNX
 *       1.12) and the graph surgery: head / tail sub-models built with {@code toBuilder()} so opset imports, functions,
 *       metadata, initializer bytes and unknown fields pass through untouched.</li>
 *   <li>{@code Autodiff}: reverse-mode rules per operator, emitted as ONNX nodes, so the backward pass runs inside ONNX
 *       Runtime (CPU or CUDA) from the Maven Central jar, which has no training support.</li>
 *   <li>{@code OnnxLayer}: one cut, its cached sessions (head, tail, gradient graph, and the forward-with-tape /
 *       backward pair used by {@code tailWithGradient}).</li>
 *   <li>{@code OnnxCompiler} ({@link org.xcam.engine.onnx.OnnxCompilerProvider}, {@code xcam compile}): the model plus
 *       its generated backward pass and each method's arithmetic in one graph, checked by {@code OnnxChecks} and run
 *       once in ONNX Runtime before it is written; {@code OnnxCompiledModel} runs such a file.</li>
 * </ul>
 *
 * <p>Why ONNX graphs rather than Java math for the backward pass: the gradient then runs where the forward runs
 * (CUDA included), with ONNX Runtime's kernels and memory planning, and the generated graph can be saved and inspected
 * with any ONNX tool.
 */
package org.xcam.engine.onnx;
