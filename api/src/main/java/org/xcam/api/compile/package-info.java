/**
 * Explanations compiled into the model: value types of the {@link org.xcam.api.spi.CompilerProvider} SPI
 * ({@code xcam compile}). A compiler writes one model file that returns the original outputs and, for each method, its
 * normalised heatmap, so a deployment runs explanations with nothing of xcam installed.
 */
package org.xcam.api.compile;
