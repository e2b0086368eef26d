package org.xcam.api;

/**
 * What {@link LayerHook#tailWithHessianVector} returns for a batch of activations.
 *
 * @param output        tail(activation), {@code [N, K]}
 * @param gradient      dObjective/dActivation, the activation's shape
 * @param hessianVector the Hessian of the objective with respect to the activation times the direction v, per row
 *                      (the activation's shape)
 */
public record SecondOrder(Tensor output, Tensor gradient, Tensor hessianVector) { }
