#!/usr/bin/env python3
"""torchvision's vit_b_16 with seeded random weights, for checking xcam on a full-size ViT (not run by CI).

    /usr/bin/python3 tools/vit_b_16.py [--out tools/.work/vit] [--no-bundle]

Writes (git-ignored):
  <out>/vit.onnx      torch.onnx.export of the whole model (opset 14, input [N, 3, 224, 224], dynamic batch):
                      what `xcam explain --model vit.onnx --method gradcam` takes with no option. The ONNX engine
                      finds the 12 encoder block outputs (tokens [N, 197, 768]: 1 class token + a 14x14 grid),
                      names them by module (encoder.layers.encoder_layer_K) and, since the head reads only the
                      class token, defaults to encoder_layer_10 (gradients at encoder_layer_11's grid are zero).
  <out>/vit-bundle/   the same model through tools/export_bundle.py (TorchScript, for --engine djl), cut at
                      encoder.layers.encoder_layer_10 and _11; the exporter writes their layout (tokens:1:14x14)
                      and picks encoder_layer_10 as the default for the same reason.
  <out>/image.npy     one normalised N(0, 1) input [3, 224, 224].

Benchmark (the issue's ratio: gradcam time / (head + tail + VJP), batch 1):
  xcam bench gradient --model <out>/vit.onnx --engine onnx --methods gradcam
  xcam bench gradient --model <out>/vit-bundle --engine djl --methods gradcam
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from export_bundle import export_bundle  # noqa: E402


class _SlowPathAttention(torch.nn.MultiheadAttention):
    """nn.MultiheadAttention without torch 1.13's fused inference kernel (aten::_native_multi_head_attention has no
    ONNX export and no backward): the fast path is taken only when query, key and value are the same tensor object,
    so key and value are passed as views. Same weights, same numbers."""

    def forward(self, query, key, value, **kwargs):
        return super().forward(query, key.view_as(key), value.view_as(value), **kwargs)


def slow_path_attention(model):
    for m in model.modules():
        if type(m) is torch.nn.MultiheadAttention:
            m.__class__ = _SlowPathAttention
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, ".work", "vit"))
    ap.add_argument("--no-bundle", action="store_true", help="only the plain ONNX file")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--check", metavar="RAW_NPY", help="compare xcam's raw Grad-CAM map (<stem>.gradcam.raw.npy of "
                    "image.npy at the default layer, predicted class) with hooks + autograd on the eager model, "
                    "reshape_transform as pytorch-grad-cam's ViT example; writes nothing")
    a = ap.parse_args()
    if a.check:
        return check(a)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    os.makedirs(a.out, exist_ok=True)
    model = build(a.seed)   # random init, no download
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    np.save(os.path.join(a.out, "image.npy"), x[0].numpy())
    t0 = time.time()
    with torch.no_grad():
        torch.onnx.export(model, x, os.path.join(a.out, "vit.onnx"), opset_version=14, input_names=["input"],
                          output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                          do_constant_folding=True)
    print("wrote %s (%.0f MB, %.1f s)" % (os.path.join(a.out, "vit.onnx"),
                                         os.path.getsize(os.path.join(a.out, "vit.onnx")) / 1e6, time.time() - t0))
    if not a.no_bundle:
        t0 = time.time()
        export_bundle(model, ["encoder.layers.encoder_layer_10", "encoder.layers.encoder_layer_11"],
                      os.path.join(a.out, "vit-bundle"), name="vit_b_16", task="multiclass",
                      labels=["class %d" % i for i in range(1000)], channels=3, height=224, width=224,
                      mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225], reference_inputs=x.numpy(),
                      onnx=False, overwrite=True)
        print("bundle in %.1f s" % (time.time() - t0))


def build(seed):
    """vit_b_16 with torchvision's random init; its classification head is zero-initialised (every output and every
    gradient would be 0), so it is drawn from N(0, 0.02^2) here."""
    torch.manual_seed(seed)
    model = slow_path_attention(torchvision.models.vit_b_16(weights=None).eval())
    torch.nn.init.normal_(model.heads.head.weight, std=0.02)
    return model


def check(a):
    model = build(a.seed)
    x = torch.from_numpy(np.load(os.path.join(a.out, "image.npy")))[None]
    store = {}

    def hook(m, i, o):
        o.retain_grad()
        store["a"] = o

    model.encoder.layers.encoder_layer_10.register_forward_hook(hook)
    y = model(x)
    k = int(y[0].argmax())
    y[0, k].backward()
    act, grad = store["a"], store["a"].grad

    def view(t):
        return t[:, 1:, :].reshape(1, 14, 14, -1).permute(0, 3, 1, 2)[0]

    va, vg = view(act.detach()), view(grad)
    cam = torch.relu((vg.mean(dim=(1, 2))[:, None, None] * va).sum(0)).numpy()
    got = np.load(a.check)
    ma, mb = np.abs(cam).max(), np.abs(got).max()
    p, q = cam.ravel() / ma, got.ravel() / mb
    print("class %d: cosine %.7f, max diff %.2e (after max-normalising)" % (k, float(p @ q / np.linalg.norm(p) / np.linalg.norm(q)),
                                                                          float(np.abs(p - q).max())))
    return 0


if __name__ == "__main__":
    main()
