/**
 * The {@code djl} engine: xcam model bundles (TorchScript {@code model.pt} plus per-layer head and tail modules) on
 * DJL's PyTorch engine, CPU, offline. Entry point: {@link org.xcam.engine.djl.DjlEngineProvider}, found through
 * {@link java.util.ServiceLoader}; models are {@link org.xcam.engine.djl.DjlModel}s (thread-safe, native memory
 * released per call).
 */
package org.xcam.engine.djl;
