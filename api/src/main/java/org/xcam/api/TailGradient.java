package org.xcam.api;

/**
 * The result of running a model's tail on an activation and back-propagating an objective to that activation.
 *
 * @param output   tail(activation), {@code [N, K]}
 * @param gradient dObjective/dActivation, the activation's shape
 */
public record TailGradient(Tensor output, Tensor gradient) { }
