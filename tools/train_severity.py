#!/usr/bin/env python3
"""Train the phantom "severity score" regression model and write the Regression IBA fixture.

The task imitates BrixIA-style COVID-19 severity scoring (the seed paper's Regression IBA experiment): a phantom
chest X-ray (``tools/phantom/phantom.py``, kind ``normal``) gets patchy opacities in a random subset of its six lung
zones (right/left x upper/middle/lower); the label is the number of affected zones (0..6). A small CNN regresses it
from the image alone; it never sees where the zones are. Regression IBA should then put its bits in the affected
zones: the Java test reports the Pearson correlation between the attribution and the zone severity map.

What it writes (default ``plugins-iba/src/test/resources/severity/``, a few hundred KB)::

    bundle/                       the model as an xcam bundle (tools/export_bundle.py, task regression, no ONNX)
      xcam-model.json, model.pt, layers/<L>.head.pt, layers/<L>.tail.pt
      xcam-stats/<L>.mean.npy, <L>.std.npy, <L>.json     activation statistics over --stats-count phantoms
                                                          (per element, two-pass float64; same files as
                                                          `xcam estimate` writes)
    test/inputs.npy               [N, 1, 64, 64] normalised held-out images
    test/zones.npy                [N, 64, 64] zone severity map: 1 inside affected zones (box x lung), else 0
    test/meta.json                per image: seed, affected zones, severity, model output; training summary

Usage::

    python3 tools/train_severity.py [--out DIR] [--train 4000] [--epochs 12] [--stats-count 500] [--test 8]

Deterministic for fixed arguments on one machine (torch.manual_seed, numpy Generator seeds); one CPU thread.
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "phantom"))
from phantom import generate  # noqa: E402
from export_bundle import export_bundle  # noqa: E402

LUNG_ZONES = ["right-upper-lung", "right-middle-lung", "right-lower-lung",
              "left-upper-lung", "left-middle-lung", "left-lower-lung"]
SIZE = 64
MEAN, STD = 0.5, 0.25
LAYERS = ["features.6", "features.10"]


def lung_masks(zones):
    """Per lung (0 = image left), the ellipse mask reconstructed from its three zone boxes."""
    Y, X = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64) + 0.5
    masks = []
    for side in ("right", "left"):
        up, low = zones[side + "-upper-lung"], zones[side + "-lower-lung"]
        x0, y0, x1, y1 = up[0], up[1], up[2], low[3]
        cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
        masks.append(((X - cx) / rx) ** 2 + ((Y - cy) / ry) ** 2 <= 1.0)
    return masks


def sample(seed):
    """One image in [0,1] [64,64], its affected zone names, and the zone severity map [64,64]."""
    p = generate(seed, SIZE, kind="normal")
    img = p["image"].astype(np.float64)
    rng = np.random.default_rng(seed + 7_000_000)
    affected = [z for z in LUNG_ZONES if rng.random() < 0.4]
    lungs = lung_masks(p["zones"])
    Y, X = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64) + 0.5
    zmap = np.zeros((SIZE, SIZE), dtype=np.float32)
    for z in affected:
        x0, y0, x1, y1 = p["zones"][z]
        lung = lungs[0 if z.startswith("right") else 1]
        box = (X >= x0) & (X < x1) & (Y >= y0) & (Y < y1)
        region = box & lung
        zmap[region] = 1.0
        # patchy ground-glass opacity: a few soft blobs inside the zone, clipped to the zone and the lung
        op = np.zeros((SIZE, SIZE))
        for _ in range(3):
            bx = rng.uniform(x0, x1)
            by = rng.uniform(y0, y1)
            r = rng.uniform(3.0, 6.0)
            op = np.maximum(op, np.clip(1.0 - np.sqrt((X - bx) ** 2 + (Y - by) ** 2) / r, 0, 1))
        op = np.clip(0.35 + op, 0, 1) * region
        img = img + rng.uniform(0.22, 0.32) * op
    img = np.clip(img, 0, 1).astype(np.float32)
    return img, affected, zmap


def dataset(seeds):
    xs, ys, zs, affs = [], [], [], []
    for s in seeds:
        img, aff, zmap = sample(s)
        xs.append((img[None] - MEAN) / STD)
        ys.append(float(len(aff)))
        zs.append(zmap)
        affs.append(aff)
    return (np.stack(xs).astype(np.float32), np.array(ys, dtype=np.float32)[:, None], np.stack(zs), affs)


class SeverityNet(nn.Module):
    """features (conv stack) -> global average pool -> linear: one output, the severity score."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),    # 0-3  -> 8 x 32 x 32
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),                  # 4-6  -> 16 x 32 x 32
            nn.MaxPool2d(2),                                                                # 7    -> 16 x 16 x 16
            nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())                 # 8-10 -> 16 x 16 x 16
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.regressor = nn.Linear(16, 1)
        nn.init.constant_(self.regressor.bias, 2.4)  # the label mean (6 zones x p 0.4): training starts centred

    def forward(self, x):
        return self.regressor(self.flatten(self.pool(self.features(x))))


def activation_stats(model, layer, x, out_dir, source):
    """Per-element mean and sample std of the layer's activation over x, written as xcam-stats files."""
    with torch.no_grad():
        a = model.features[: int(layer.split(".")[1]) + 1](torch.from_numpy(x)).double().numpy()
    mean = a.mean(axis=0)
    std = a.std(axis=0, ddof=1)
    os.makedirs(out_dir, exist_ok=True)
    np.save(os.path.join(out_dir, layer + ".mean.npy"), mean.astype("<f4"))
    np.save(os.path.join(out_dir, layer + ".std.npy"), std.astype("<f4"))
    with open(os.path.join(out_dir, layer + ".json"), "w") as fh:
        json.dump({"layer": layer, "mode": "element", "count": int(a.shape[0]), "source": source,
                   "shape": list(mean.shape), "minStd": 0.01}, fh, indent=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "plugins-iba", "src", "test", "resources", "severity"))
    ap.add_argument("--train", type=int, default=4000)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--stats-count", type=int, default=500)
    ap.add_argument("--test", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--dry", action="store_true", help="train and report only; write nothing")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)

    x, y, _, _ = dataset(range(100_000, 100_000 + a.train))
    xv, yv, _, _ = dataset(range(200_000, 200_400))
    model = SeverityNet()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.epochs)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    g = torch.Generator().manual_seed(1)
    for ep in range(a.epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=g)
        tot = 0.0
        for i in range(0, len(xt), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            tot += loss.item() * len(idx)
        sched.step()
        model.eval()
        with torch.no_grad():
            pv = model(torch.from_numpy(xv)).numpy()
        mae = float(np.abs(pv - yv).mean())
        print("epoch %2d  train mse %.4f  val mae %.3f" % (ep + 1, tot / len(xt), mae), flush=True)
    model.eval()
    with torch.no_grad():
        pv = model(torch.from_numpy(xv)).numpy()
    mae = float(np.abs(pv - yv).mean())
    r = float(np.corrcoef(pv[:, 0], yv[:, 0])[0, 1])
    acc = float((np.round(pv) == yv).mean())
    print("validation: mae %.3f, pearson %.3f, rounded accuracy %.3f" % (mae, r, acc), flush=True)
    if a.dry:
        return

    out = os.path.abspath(a.out)
    bundle = os.path.join(out, "bundle")
    xs, _, _, _ = dataset(range(300_000, 300_000 + a.stats_count))
    xtest, ytest, ztest, afftest = dataset(range(400_000, 400_000 + a.test))
    export_bundle(model, LAYERS, bundle, name="phantom-severity", task="regression", labels=["severity"],
                  channels=1, height=SIZE, width=SIZE, mean=[MEAN], std=[STD], reference_inputs=xtest[:2],
                  onnx=False, overwrite=True)
    shutil.rmtree(os.path.join(bundle, "reference"), ignore_errors=True)  # keep the fixture small
    for layer in LAYERS:
        activation_stats(model, layer, xs, os.path.join(bundle, "xcam-stats"),
                      "tools/train_severity.py: %d phantom severity images, seeds 300000.." % a.stats_count)
    os.makedirs(os.path.join(out, "test"), exist_ok=True)
    np.save(os.path.join(out, "test", "inputs.npy"), xtest.astype("<f4"))
    np.save(os.path.join(out, "test", "zones.npy"), ztest.astype("<f4"))
    with torch.no_grad():
        ptest = model(torch.from_numpy(xtest)).numpy()[:, 0]
    meta = {"images": [{"seed": 400_000 + i, "affected": afftest[i], "severity": int(ytest[i, 0]),
                        "output": float(ptest[i])} for i in range(a.test)],
            "training": {"train": a.train, "epochs": a.epochs, "val_images": 400, "val_mae": mae,
                         "val_pearson": r, "val_rounded_accuracy": acc},
            "zones": LUNG_ZONES, "normalisation": {"mean": MEAN, "std": STD},
            "made_by": "tools/train_severity.py", "torch": torch.__version__}
    with open(os.path.join(out, "test", "meta.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
    print("wrote", out)


if __name__ == "__main__":
    main()
