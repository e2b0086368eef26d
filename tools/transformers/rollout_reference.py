"""Independent reference values for xcam's attention-rollout and gradient-rollout (numpy, float64) on a tiny ViT.

    /usr/bin/python3 tools/transformers/rollout_reference.py                    # both models below
    /usr/bin/python3 tools/transformers/rollout_reference.py --model tiny-vit   # ../shared/reference/tiny-vit only

The attention probabilities and their gradients come from the eager PyTorch model (float32, the Attention module's
own forward re-run with ``attn.retain_grad()``); the gradients are checked against central finite differences in
float64 (a delta added to one attention entry). Rollout itself is written here in numpy, not by xcam:

* attention-rollout (Abnar & Zuidema 2020, jacobgil/vit-explain semantics): per block fuse the heads (mean | max |
  min); zero the int(ratio * T * T) smallest entries (stable order) except flat index 0 (the class token's
  self-attention); add I; renormalise every row; R = A_b @ R from R = I. Map: R[0, P:] reshaped to the grid.
* gradient-rollout (Chefer, Gur & Wolf 2021): Abar = mean over heads of max(0, grad * attn); R = R + Abar @ R from
  R = I. Map: R[0, P:] reshaped to the grid.

Writes <out>/rollout.json (maps per input and setting, targets, the finite-difference check) and, for input 0,
attention.npy / attention_grad.npy ([blocks, heads, T, T] float32) for the engines' direct checks.
"""
import argparse
import importlib.util
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SETTINGS = [("mean", 0.0), ("mean", 0.9), ("max", 0.9), ("min", 0.5), ("max", 0.0)]


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def recording_forward(store):
    """The tiny ViTs' Attention.forward, recording the probabilities (with their gradient) and taking a delta."""
    def forward(self, x):
        n, t, d = x.shape
        qkv = self.qkv(x).reshape(n, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        if getattr(self, "delta", None) is not None:
            attn = attn + self.delta
        if attn.requires_grad:
            attn.retain_grad()
        store.append(attn)
        x = (attn @ v).transpose(1, 2).reshape(n, t, d)
        return self.proj(x)
    return forward


def instrument(model):
    store = []
    for blk in model.blocks:
        blk.attn.forward = recording_forward(store).__get__(blk.attn)
        blk.attn.delta = None
    return store


def attention_and_grad(model, store, x, target):
    store.clear()
    xx = x.clone().requires_grad_(True)   # so the probabilities require grad
    y = model(xx)
    for a in store:
        a.retain_grad()
    y[0, target].backward()
    return ([a.detach().numpy()[0].astype(np.float64) for a in store],
            [a.grad.numpy()[0].astype(np.float64) for a in store], y.detach().numpy()[0])


def finite_difference_check(model, store, x, target, grads, picks, eps=1e-4):
    m64 = model.double()
    worst = 0.0
    rows = []
    for b, h, i, j in picks:
        vals = []
        for s in (+1, -1):
            for k, blk in enumerate(m64.blocks):
                dl = torch.zeros(1, blk.attn.heads, grads[0].shape[-1], grads[0].shape[-1], dtype=torch.float64)
                if k == b:
                    dl[0, h, i, j] = s * eps
                blk.attn.delta = dl
            with torch.no_grad():
                store.clear()
                vals.append(float(m64(x.double())[0, target]))
        fd = (vals[0] - vals[1]) / (2 * eps)
        g = float(grads[b][h, i, j])
        err = abs(fd - g) / max(1e-3, abs(fd))
        worst = max(worst, err)
        rows.append({"block": b, "head": h, "row": i, "col": j, "autograd": g, "central_difference": fd})
    for blk in m64.blocks:
        blk.attn.delta = None
    model.float()
    return worst, rows


def rollout(attns, fusion, ratio, p, g):
    t = attns[0].shape[-1]
    r = np.eye(t)
    for a in attns:
        f = {"mean": a.mean(0), "max": a.max(0), "min": a.min(0)}[fusion].copy()
        flat = f.reshape(-1)
        k = int(flat.size * ratio)
        idx = np.argsort(flat, kind="stable")[:k]
        flat[idx[idx != 0]] = 0
        m = f + np.eye(t)
        m = m / m.sum(axis=1, keepdims=True)
        r = m @ r
    return r[0, p:].reshape(g, g)


def grad_rollout(attns, grads, p, g):
    t = attns[0].shape[-1]
    r = np.eye(t)
    for a, gr in zip(attns, grads):
        abar = np.clip(a * gr, 0, None).mean(0)
        r = r + abar @ r
    return r[0, p:].reshape(g, g)


def run(name, model, inputs, targets, out, p, g):
    os.makedirs(out, exist_ok=True)
    store = instrument(model.eval())
    entries = []
    fd = None
    for i, (x, tgt) in enumerate(zip(inputs, targets)):
        attns, grads, logits = attention_and_grad(model, store, x, tgt)
        if i == 0:
            np.save(os.path.join(out, "attention.npy"), np.stack(attns).astype(np.float32))
            np.save(os.path.join(out, "attention_grad.npy"), np.stack(grads).astype(np.float32))
            rng = np.random.default_rng(0)
            t = attns[0].shape[-1]
            picks = [(b, int(rng.integers(attns[0].shape[0])), 0, int(rng.integers(t))) for b in range(len(attns))]
            picks += [(b, int(rng.integers(attns[0].shape[0])), int(rng.integers(t)), int(rng.integers(t))) for b in range(len(attns))]
            worst, rows = finite_difference_check(model, store, x, tgt, grads, picks)
            fd = {"max_relative_error": worst, "eps": 1e-4, "dtype": "float64", "entries": rows}
            print(name, "autograd vs central differences: max rel error %.2e" % worst)
        e = {"input": i, "target": int(tgt), "logits": [float(v) for v in logits],
             "attention_rollout": {"%s:%g" % s: rollout(attns, s[0], s[1], p, g).tolist() for s in SETTINGS},
             "gradient_rollout": grad_rollout(attns, grads, p, g).tolist()}
        entries.append(e)
    doc = {"model": name, "prefix_tokens": p, "grid": g, "blocks": len(model.blocks),
           "settings": ["%s:%g" % s for s in SETTINGS], "objective": "logit of target",
           "finite_difference_check": fd, "entries": entries,
           "made_by": "tools/transformers/rollout_reference.py (numpy float64 rollout over the eager model's float32 attention)"}
    with open(os.path.join(out, "rollout.json"), "w") as fh:
        json.dump(doc, fh, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", nargs="+", default=["tiny-vit", "phantom-vit"])
    ap.add_argument("--vit-state", default=os.path.join(ROOT, "tools", ".work", "transformers", "phantom-vit.state.pt"))
    ap.add_argument("--vit-bundle", default=os.path.join(ROOT, "runtime", "src", "main", "resources", "org", "xcam", "fixtures", "phantom-vit"))
    ap.add_argument("--out", default=os.path.join(ROOT, "plugins-gradient", "src", "test", "resources", "rollout"))
    a = ap.parse_args()
    torch.manual_seed(0)
    if "tiny-vit" in a.model:
        ref = os.path.join(ROOT, "..", "shared", "reference", "tiny-vit")
        mod = load_module(os.path.join(ref, "tiny_vit.py"), "tiny_vit")
        model = mod.TinyViT(**mod.CONFIG)
        model.load_state_dict(torch.load(os.path.join(ref, "model.state.pt")))
        meta = json.load(open(os.path.join(ref, "inputs", "inputs.json")))["inputs"]
        xs = [torch.from_numpy(np.load(os.path.join(ref, m["file"])))[None].float() for m in meta]
        run("tiny-vit", model, xs, [m["target_class"] for m in meta], os.path.join(a.out, "tiny-vit"), 1, 8)
    if "phantom-vit" in a.model:
        sys.path.insert(0, HERE)
        import tiny_models
        bundle = a.vit_bundle
        model = tiny_models.tiny_vit()
        model.load_state_dict(torch.load(a.vit_state))
        model.eval()   # before any forward: a train-mode pass would move the BatchNorm statistics
        xs = [torch.from_numpy(np.load(os.path.join(bundle, "reference", "inputs", "%d.npy" % i)))[None].float() for i in range(4)]
        with torch.no_grad():
            preds = [int(model(x).argmax()) for x in xs]
        run("phantom-vit", model, xs, preds, os.path.join(a.out, "phantom-vit"), 1, 8)


if __name__ == "__main__":
    main()
