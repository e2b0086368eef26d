#!/usr/bin/python3
"""Train the small anatomy-driven pathology detection (ADPD) fixtures on phantom chest X-rays.

A miniature of Mueller et al., "Anatomy-Driven Pathology Detection on Chest X-rays" (MICCAI 2023): a CNN backbone,
one transformer decoder layer with one learned query per anatomical region (DETR-style, no matching needed because
each query owns its region), and three heads per query: the region box (cxcywh, normalised, sigmoid), the region's
presence probability, and the region's pathology probabilities. Two training forms:

* Loc-ADPD: region-level pathology labels (a region is positive for the phantom's lesion when the lesion box covers
  at least 25% of the region or the region holds at least 25% of the lesion box; cardiomegaly is the heart region).
* MIL-ADPD: image-level labels only; the region logits are LSE-pooled (r = 5) into an image logit.

Plus the weakly supervised baseline of the paper's Table 1: a small multilabel CNN classifier trained on the same
images with image-level labels, exported with one cut layer (``features``) so that CAM methods run on it
(``classifier/``); its CAMs become boxes by threshold and largest connected component.

Both learn the region boxes from the phantom's anatomical zones (``tools/phantom/phantom.py``).

Export: one xcam bundle per form (``xcam-model.json`` + traced ``model.pt``; no layer cuts). The xcam Model API
returns one [N, K] tensor, so the traced module concatenates the three outputs per image into
``[boxes R*4 | presence R | probs R*P]`` (K = R * (5 + P)); the manifest's ``anatomy`` object names the regions,
pathologies and box format (see plugins-anatomy/README.md).

Usage (CPU, one thread, a few minutes)::

    /usr/bin/python3 tools/train_adpd.py --out plugins-anatomy/src/main/resources/org/xcam/plugins/anatomy/fixtures
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "phantom"))
import phantom  # noqa: E402

REGIONS = list(phantom.ZONES)
PATHOLOGIES = ["nodule", "mass", "effusion", "consolidation", "cardiomegaly"]
SIZE = 64
MEAN, STD = 0.5, 0.25
LSE_R = 5.0


def region_labels(p):
    """[R, P] region-level labels of one phantom."""
    y = np.zeros((len(REGIONS), len(PATHOLOGIES)), dtype=np.float32)
    for les in p["lesions"]:
        k = PATHOLOGIES.index(les["type"])
        if les["type"] == "cardiomegaly":
            y[REGIONS.index("heart"), k] = 1
            continue
        lx0, ly0, lx1, ly1 = les["box"]
        la = max((lx1 - lx0) * (ly1 - ly0), 1)
        for r, name in enumerate(REGIONS):
            if name == "heart":
                continue
            zx0, zy0, zx1, zy1 = p["zones"][name]
            za = max((zx1 - zx0) * (zy1 - zy0), 1)
            inter = max(0, min(lx1, zx1) - max(lx0, zx0)) * max(0, min(ly1, zy1) - max(ly0, zy0))
            if inter / za >= 0.25 or inter / la >= 0.25:
                y[r, k] = 1
    return y


def dataset(seeds):
    xs, boxes, ry, iy = [], [], [], []
    for s in seeds:
        p = phantom.generate(int(s), SIZE)
        xs.append((p["image"][None] - MEAN) / STD)
        b = []
        for name in REGIONS:
            x0, y0, x1, y1 = p["zones"][name]
            b.append([(x0 + x1) / 2 / SIZE, (y0 + y1) / 2 / SIZE, (x1 - x0) / SIZE, (y1 - y0) / SIZE])
        boxes.append(b)
        r = region_labels(p)
        ry.append(r)
        img = np.zeros(len(PATHOLOGIES), dtype=np.float32)
        for les in p["lesions"]:
            img[PATHOLOGIES.index(les["type"])] = 1
        iy.append(img)
    return (torch.tensor(np.stack(xs)), torch.tensor(np.array(boxes, dtype=np.float32)),
            torch.tensor(np.stack(ry)), torch.tensor(np.stack(iy)))


def lse(x, r, dim):
    """(1/r) log mean exp(r x) along dim (stable)."""
    n = x.shape[dim]
    return (torch.logsumexp(r * x, dim=dim) - math.log(n)) / r


class Adpd(nn.Module):
    def __init__(self, regions, pathologies, d=32):
        super().__init__()
        self.r, self.p = regions, pathologies
        self.backbone = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, d, 3, stride=2, padding=1), nn.ReLU())          # [N, d, 8, 8]
        self.pos = nn.Parameter(torch.randn(1, 64, d) * 0.1)
        self.queries = nn.Parameter(torch.randn(1, regions, d) * 0.1)
        self.decoder = nn.TransformerDecoderLayer(d, nhead=4, dim_feedforward=64, dropout=0.0, batch_first=True)
        self.box = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, 4))
        self.presence = nn.Linear(d, 1)
        self.pathology = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, pathologies))

    @staticmethod
    def region_pool(f, box, sharp=40.0):
        """Mean of the backbone features inside each (soft) region box: [N, d, H, W], [N, R, 4] -> [N, R, d]."""
        hh, ww = f.shape[2], f.shape[3]
        gy = (torch.arange(hh, dtype=f.dtype) + 0.5) / hh
        gx = (torch.arange(ww, dtype=f.dtype) + 0.5) / ww
        cx, cy, w, h = box.unbind(-1)
        mx = torch.sigmoid((gx - (cx - w / 2).unsqueeze(-1)) * sharp) * torch.sigmoid(((cx + w / 2).unsqueeze(-1) - gx) * sharp)
        my = torch.sigmoid((gy - (cy - h / 2).unsqueeze(-1)) * sharp) * torch.sigmoid(((cy + h / 2).unsqueeze(-1) - gy) * sharp)
        m = my.unsqueeze(-1) * mx.unsqueeze(-2)                            # [N, R, H, W]
        pooled = torch.einsum("nrhw,ndhw->nrd", m, f)
        return pooled / (m.sum(dim=(2, 3)).unsqueeze(-1) + 1e-6)

    def heads(self, x):
        f = self.backbone(x)
        mem = f.flatten(2).transpose(1, 2) + self.pos                     # [N, 64, d]
        q = self.queries.expand(x.shape[0], -1, -1)
        h = self.decoder(q, mem)                                           # [N, R, d]
        box = torch.sigmoid(self.box(h))
        # As in ADPD, one classifier shared by all regions, applied to each region's own features: here the
        # backbone features pooled inside the predicted region box (detached, so pathology labels do not move boxes).
        # A query's identity cannot carry a pathology, which matters for MIL, where labels do not say where.
        return box, self.presence(h).squeeze(-1), self.pathology(self.region_pool(f, box.detach()))

    def forward(self, x):
        box, pres, path = self.heads(x)
        n = x.shape[0]
        return torch.cat([box.reshape(n, -1), torch.sigmoid(pres), torch.sigmoid(path).reshape(n, -1)], dim=1)


class Classifier(nn.Module):
    """The weakly supervised baseline: a CNN classifier (image-level labels) whose CAMs are turned into boxes."""

    def __init__(self, pathologies):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
            nn.Conv2d(32, 48, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(48, 48, 3, padding=1), nn.ReLU())                    # [N, 48, 16, 16]
        self.tail = ClassifierTail(48, pathologies)

    def forward(self, x):
        return self.tail(self.features(x))


class ClassifierTail(nn.Module):
    def __init__(self, c, k):
        super().__init__()
        self.fc = nn.Linear(c, k)

    def forward(self, a):
        return self.fc(a.mean(dim=(2, 3)))


def train_classifier(data, steps, seed, log):
    torch.manual_seed(seed)
    x, _, _, iy = data
    m = Classifier(len(PATHOLOGIES))
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    g = torch.Generator().manual_seed(seed)
    t0 = time.time()
    for step in range(steps):
        idx = torch.randint(0, x.shape[0], (64,), generator=g)
        loss = F.binary_cross_entropy_with_logits(m(x[idx]), iy[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 200 == 0 or step == steps - 1:
            log("cls step %d loss %.4f %.0fs" % (step, loss.item(), time.time() - t0))
    return m.eval()


def export_classifier(m, out):
    """A multilabel classifier bundle with one cut, 'features' (48 x 16 x 16), so CAM methods can run on it."""
    os.makedirs(os.path.join(out, "layers"), exist_ok=True)
    ex = torch.zeros(2, 1, SIZE, SIZE)
    with torch.no_grad():
        a = m.features(ex)
        torch.jit.trace(m, ex).save(os.path.join(out, "model.pt"))
        torch.jit.trace(m.features, ex).save(os.path.join(out, "layers", "features.head.pt"))
        torch.jit.trace(m.tail, a).save(os.path.join(out, "layers", "features.tail.pt"))
        y5 = torch.randn(5, 1, SIZE, SIZE)
        assert torch.allclose(m.tail(m.features(y5)), m(y5), atol=1e-5)
    manifest = {
        "format": "xcam-bundle/1",
        "name": "phantom-pathology-classifier",
        "task": "multilabel",
        "labels": PATHOLOGIES,
        "input": {"channels": 1, "height": SIZE, "width": SIZE, "mean": [MEAN], "std": [STD]},
        "layers": ["features"],
        "defaultLayer": "features",
    }
    with open(os.path.join(out, "xcam-model.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)


def train(form, data, steps, seed, log):
    torch.manual_seed(seed)
    x, boxes, ry, iy = data
    m = Adpd(len(REGIONS), len(PATHOLOGIES))
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    g = torch.Generator().manual_seed(seed)
    n = x.shape[0]
    t0 = time.time()
    for step in range(steps):
        idx = torch.randint(0, n, (64,), generator=g)
        b, pres, path = m.heads(x[idx])
        loss_box = F.l1_loss(b, boxes[idx]) * 5.0
        loss_pres = F.binary_cross_entropy_with_logits(pres, torch.ones_like(pres))
        if form == "loc":
            loss_path = F.binary_cross_entropy_with_logits(path, ry[idx])
        else:
            img = lse(path, LSE_R, dim=1)                                  # [B, P]
            loss_path = F.binary_cross_entropy_with_logits(img, iy[idx])
        loss = loss_box + loss_pres + loss_path
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 200 == 0 or step == steps - 1:
            log("%s step %d loss %.4f (box %.4f, path %.4f) %.0fs" % (form, step, loss.item(), loss_box.item(),
                                                                     loss_path.item(), time.time() - t0))
    return m.eval()


def export(m, form, out):
    os.makedirs(out, exist_ok=True)
    ex = torch.zeros(2, 1, SIZE, SIZE)
    with torch.no_grad():
        traced = torch.jit.trace(m, ex, check_trace=False)
        y5 = torch.randn(5, 1, SIZE, SIZE)
        assert torch.allclose(traced(y5), m(y5), atol=1e-5), "trace does not generalise over batch size"
    traced.save(os.path.join(out, "model.pt"))
    labels = []
    for r in REGIONS:
        labels += ["box.%s.%s" % (r, c) for c in ("cx", "cy", "w", "h")]
    labels += ["presence.%s" % r for r in REGIONS]
    for r in REGIONS:
        labels += ["prob.%s.%s" % (r, p) for p in PATHOLOGIES]
    manifest = {
        "format": "xcam-bundle/1",
        "name": "phantom-adpd-" + form,
        "task": "anatomy-detection",
        "labels": labels,
        "input": {"channels": 1, "height": SIZE, "width": SIZE, "mean": [MEAN], "std": [STD]},
        "layers": [],
        "anatomy": {
            "layout": "boxes|presence|probs",
            "regions": REGIONS,
            "pathologies": PATHOLOGIES,
            "boxFormat": "cxcywh",
            "classes": {p: [p] for p in PATHOLOGIES},
            "training": "Loc-ADPD (region-level labels)" if form == "loc" else "MIL-ADPD (image-level labels, LSE r=5)",
            "lseR": LSE_R,
        },
    }
    with open(os.path.join(out, "xcam-model.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="directory that receives adpd-loc/ and adpd-mil/")
    ap.add_argument("--train", type=int, default=4000, help="training phantoms (seeds 1000000...)")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--forms", default="loc,mil,cls", help="loc, mil (ADPD forms), cls (CAM baseline classifier)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    log = lambda s: print(s, flush=True)
    t = time.time()
    data = dataset(range(1000000, 1000000 + a.train))
    log("data %s in %.0fs" % (tuple(data[0].shape), time.time() - t))
    val = dataset(range(2000000, 2000300))
    for form in a.forms.split(","):
        if form == "cls":
            m = train_classifier(data, a.steps, a.seed, log)
            with torch.no_grad():
                acc = ((torch.sigmoid(m(val[0])) > 0.5).float() == val[3]).float().mean().item()
            log("cls val: label accuracy %.4f" % acc)
            export_classifier(m, os.path.join(a.out, "classifier"))
            continue
        m = train(form, data, a.steps, a.seed, log)
        with torch.no_grad():
            b, pres, path = m.heads(val[0])
            l1 = (b - val[1]).abs().mean().item()
            pr = torch.sigmoid(path)
            acc = ((pr > 0.5).float() == val[2]).float().mean().item()
            log("%s val: box L1 %.4f (x64 = %.2f px), region-label accuracy %.4f" % (form, l1, l1 * SIZE, acc))
        export(m, form, os.path.join(a.out, "adpd-" + form))
    log("done in %.0fs" % (time.time() - t))


if __name__ == "__main__":
    main()
