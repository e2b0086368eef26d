#!/usr/bin/env python3
"""Writes tools/fixtures/smooth-small: a tiny CNN with curvature (tanh, sigmoid) between its cut layers and the
output, exported as an xcam bundle (model.pt, layer cuts, model.onnx), plus exact second-order references computed
here by PyTorch autograd in float64 on the eager module (independent of xcam):

  refs/<layer>/<i>.<objective>.{activation,gradient,hvp}.npy   layer in features.4, features.5, input;
      objective logit<c> (the target class's logit) or lse (log-sum-exp of the logits);
      gradient = d objective / d a, hvp = d/de [grad(a + e v)] at e = 0 with v = a (ShapleyCAM's direction),
      the objective's own curvature included (double backward through the objective and the network);
  refs/<layer>/<i>.shapleycam.npy   pytorch-grad-cam's ShapleyCAM formula (weights = spatial mean of
      gradient - 0.5 * hvp, map = ReLU(sum_c w_c a_c)) for the logit of the target class;
  refs.json  what each file is, inputs, targets, logits.

The network: conv(1->4, 3x3) -> ReLU -> maxpool 2 -> conv(4->6, 3x3) -> tanh [features.4] -> conv(6->5, 1x1)
[features.5] -> sigmoid -> global average pool -> linear(5->3). Between features.4 and the output the tail is
smooth (its Hessian is not zero), and the input's tail has ReLU and max-pool kinks before the curved part: a
finite difference of two VJPs differs from the exact product there, the double backward does not.

Run: /usr/bin/python3 tools/make_second_order_fixture.py   (Debian's torch 1.13 + onnx; seconds)
"""
import json
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from export_bundle import export_bundle  # noqa: E402

OUT = os.path.join(HERE, "fixtures", "smooth-small")
LAYERS = ["features.4", "features.5"]


def build():
    torch.manual_seed(20260501)
    m = nn.Sequential()
    m.features = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding=1), nn.Tanh(),
        nn.Conv2d(6, 5, 1), nn.Sigmoid())
    m.pool = nn.AdaptiveAvgPool2d(1)
    m.flatten = nn.Flatten()
    m.classifier = nn.Linear(5, 3)
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(1.5)   # keep tanh / sigmoid in their curved range
        m.classifier.weight.mul_(4.0)
    return m.eval()


def head(model, layer, x):
    if layer == "input":
        return x
    k = int(layer.split(".")[1])
    return model.features[: k + 1](x)


def tail(model, layer, a):
    if layer == "input":
        return model(a)
    k = int(layer.split(".")[1])
    h = model.features[k + 1:](a)
    return model.classifier(model.flatten(model.pool(h)))


def objective(name, y):
    if name == "lse":
        return torch.logsumexp(y, dim=1).sum()
    c = int(name[len("logit"):])
    return y[:, c].sum()


def main():
    model = build()
    g = torch.Generator().manual_seed(7)
    xs = torch.randn(3, 1, 16, 16, generator=g)
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    bundle = os.path.join(OUT, "bundle")
    export_bundle(model, LAYERS, bundle, name="smooth-small", task="multiclass", labels=["a", "b", "c"],
                  channels=1, height=16, width=16, mean=[0.0], std=[1.0], reference_inputs=xs.numpy(), quiet=True)
    shutil.rmtree(os.path.join(bundle, "reference"), ignore_errors=True)
    os.makedirs(os.path.join(OUT, "inputs"))
    m64 = build().double()
    with torch.no_grad():
        logits = m64(xs.double())
    targets = [int(i) for i in logits.argmax(1)]
    targets[2] = (targets[2] + 1) % 3   # one non-predicted target
    entries = []
    for i in range(xs.shape[0]):
        np.save(os.path.join(OUT, "inputs", "%d.npy" % i), xs[i].numpy().astype(np.float32))
        for layer in LAYERS + ["input"]:
            d = os.path.join(OUT, "refs", layer)
            os.makedirs(d, exist_ok=True)
            x = xs[i:i + 1].double()
            with torch.no_grad():
                a0 = head(m64, layer, x)
            for obj in ["logit%d" % targets[i], "lse"]:
                a = a0.clone().requires_grad_(True)
                y = tail(m64, layer, a)
                f = objective(obj, y)
                (gr,) = torch.autograd.grad(f, a, create_graph=True)
                (hv,) = torch.autograd.grad(gr, a, grad_outputs=a0, allow_unused=True)   # v = a (held fixed)
                if hv is None:
                    hv = torch.zeros_like(a0)
                stem = os.path.join(d, "%d.%s" % (i, obj))
                for what, t in (("activation", a0), ("gradient", gr), ("hvp", hv)):
                    np.save(stem + "." + what + ".npy", t.detach()[0].numpy().astype(np.float32))
                e = {"input": i, "layer": layer, "objective": obj, "target": targets[i], "v": "activation",
                     "files": {w: "refs/%s/%d.%s.%s.npy" % (layer, i, obj, w) for w in ("activation", "gradient", "hvp")},
                     "hvp_norm": float(hv.norm()), "gradient_norm": float(gr.norm())}
                if obj.startswith("logit") and layer != "input":
                    w = (gr - 0.5 * hv).detach().mean(dim=(2, 3))[0]
                    cam = torch.relu((w[:, None, None] * a0[0]).sum(0))
                    np.save(os.path.join(d, "%d.shapleycam.npy" % i), cam.numpy().astype(np.float32))
                    gw = gr.detach().mean(dim=(2, 3))[0]
                    np.save(os.path.join(d, "%d.gradcam.npy" % i), torch.relu((gw[:, None, None] * a0[0]).sum(0)).numpy().astype(np.float32))
                    e["shapleycam"] = "refs/%s/%d.shapleycam.npy" % (layer, i)
                    e["gradcam"] = "refs/%s/%d.gradcam.npy" % (layer, i)
                entries.append(e)
    meta = {"what": "exact second-order references for tools/fixtures/smooth-small (see make_second_order_fixture.py)",
            "torch": torch.__version__, "dtype": "float64 computation, stored float32", "layers": LAYERS + ["input"],
            "targets": targets, "logits": logits.tolist(), "entries": entries}
    with open(os.path.join(OUT, "refs.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print("wrote", OUT, len(entries), "entries; targets", targets)


if __name__ == "__main__":
    main()
