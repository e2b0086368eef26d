#!/usr/bin/env python3
"""Writes engine-djl/src/main/resources/org/xcam/engine/djl/autograd_ops.pt: a tiny TorchScript module (no weights)
that the DJL engine loads once to call ``torch.autograd.grad``, which DJL 0.35.1's Java API does not expose.

Why: an exact Hessian-vector product needs the gradient as a differentiable function of the activation. DJL only
offers ``Tensor.backward(create_graph=True)``, which stores that gradient in the activation's ``.grad``: the gradient's
graph then refers back to the activation (a reference cycle, that libtorch warns about and never frees). Through
``torch.autograd.grad`` nothing is stored in ``.grad``, so nothing cycles and every call's memory is freed.

Methods (rows are independent, so a batched call gives every row's product):
  forward(y, a, s, v) -> [g, hv, jv]   (keep(y, a, s, v): the same, keeping y's graph for vjp)
      g  = J^T s                      (the gradient of s . y with respect to a; s is the seed dObjective/dy)
      hv = (d/da (J^T s)) v           (with s held fixed)
      jv = J v                        (the tangent of y along v; a needs s.requires_grad)
  vjp(y, a, u) -> J^T u               (frees y's graph)

Run: /usr/bin/python3 tools/make_djl_autograd_ops.py   (Debian's torch 1.13; the file loads in DJL's libtorch 2.x)
"""
import os
from typing import List, Optional

import torch
from torch import Tensor

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "engine-djl", "src", "main", "resources",
                   "org", "xcam", "engine", "djl", "autograd_ops.pt")


class AutogradOps(torch.nn.Module):
    def forward(self, y: Tensor, a: Tensor, s: Tensor, v: Tensor) -> List[Tensor]:
        return self.second_order(y, a, s, v, False)

    @torch.jit.export
    def keep(self, y: Tensor, a: Tensor, s: Tensor, v: Tensor) -> List[Tensor]:
        return self.second_order(y, a, s, v, True)

    def second_order(self, y: Tensor, a: Tensor, s: Tensor, v: Tensor, keep: bool) -> List[Tensor]:
        seeds: List[Optional[Tensor]] = [s]
        gs = torch.autograd.grad([y], [a], seeds, retain_graph=True, create_graph=True, allow_unused=True)
        g0 = gs[0]
        if g0 is None:
            z = torch.zeros_like(a)
            return [z, z, torch.zeros_like(y)]
        g = g0
        dirs: List[Optional[Tensor]] = [v]
        outs = torch.autograd.grad([g], [a, s], dirs, retain_graph=keep, allow_unused=True)
        hv = outs[0]
        jv = outs[1]
        if hv is None:
            hv = torch.zeros_like(a)
        if jv is None:
            jv = torch.zeros_like(y)
        return [g.detach(), hv, jv]

    @torch.jit.export
    def vjp(self, y: Tensor, a: Tensor, u: Tensor) -> Tensor:
        seeds: List[Optional[Tensor]] = [u]
        gs = torch.autograd.grad([y], [a], seeds, allow_unused=True)
        g = gs[0]
        if g is None:
            return torch.zeros_like(a)
        return g


def main():
    m = torch.jit.script(AutogradOps().eval())
    # self-check against eager double backward on a small curved function
    a = torch.randn(2, 3, requires_grad=True)
    w = torch.randn(3, 4)
    y = torch.tanh(a @ w)
    s = torch.randn(2, 4, requires_grad=True)
    v = torch.randn(2, 3)
    g, hv, jv = m.keep(y, a, s, v)
    extra = m.vjp(y, a, torch.ones(2, 4))
    a2 = a.detach().clone().requires_grad_(True)
    y2 = torch.tanh(a2 @ w)
    (g2,) = torch.autograd.grad(y2, a2, s.detach(), create_graph=True)
    (hv2,) = torch.autograd.grad(g2, a2, v)
    assert torch.allclose(g, g2) and torch.allclose(hv, hv2, atol=1e-6)
    assert torch.allclose(jv, ((1 - y2 ** 2) * (v @ w)).detach(), atol=1e-6)
    assert torch.allclose(extra, ((1 - y2 ** 2) @ w.t()).detach(), atol=1e-6)
    m.save(OUT)
    print("wrote", os.path.normpath(OUT), os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
