"""Trains the phantom-cxr fixture: a small Sequential CNN on phantom chest X-rays, exported as an xcam bundle.

    /usr/bin/python3 tools/phantom/train.py                      # train, evaluate, export the fixture
    /usr/bin/python3 tools/phantom/train.py --epochs 2 --out /tmp/pc --no-samples   # quick try

Classes: the six phantom kinds (normal, nodule, mass, effusion, consolidation, cardiomegaly), multiclass.
Training seeds 0..N-1, held-out seeds from 10_000_000 (never seen in training). Input 1 x 64 x 64,
normalised (x - 0.5) / 0.25. The network is an nn.Sequential whose module paths are the bundle's
layer names ("features.10" = 48 x 16 x 16, "features.14" = 64 x 8 x 8, the default).

Writes into --out (default runtime/src/main/resources/org/xcam/fixtures/phantom-cxr): the bundle
(tools/export_bundle.py, with reference/ logits and gradients), files.txt (the bundle's files, one per
line, for extraction from the jar), samples/ (PNG phantoms) with samples/samples.json (boxes and
labels), and training.json (accuracy, confusion matrix, seeds, epochs, time).
"""
import argparse
import json
import os
import sys
import time
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import phantom  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_OUT = os.path.join(ROOT, "runtime", "src", "main", "resources", "org", "xcam", "fixtures", "phantom-cxr")
MEAN, STD = 0.5, 0.25
HELD_OUT_SEED = 10_000_000
SAMPLE_KINDS = ["nodule", "effusion", "mass", "consolidation", "cardiomegaly", "normal", None, None]


def build_model(num_classes=len(phantom.KINDS)):
    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

    features = nn.Sequential(*block(1, 16), nn.MaxPool2d(2),          # 0-3   -> 16 x 32 x 32
                             *block(16, 32), nn.MaxPool2d(2),         # 4-7   -> 32 x 16 x 16
                             *block(32, 48),                          # 8-10  -> 48 x 16 x 16
                             nn.MaxPool2d(2),                         # 11    -> 48 x 8 x 8
                             *block(48, 64))                          # 12-14 -> 64 x 8 x 8
    return nn.Sequential(OrderedDict([
        ("features", features),
        ("pool", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()),
        ("classifier", nn.Linear(64, num_classes)),
    ]))


def make_data(first, n, size=64):
    x, y, ps = phantom.batch(range(first, first + n), size)
    return torch.from_numpy((x - MEAN) / STD), torch.from_numpy(y), ps


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + 500]).argmax(1) for i in range(0, len(x), 500)])
    k = len(phantom.KINDS)
    conf = np.zeros((k, k), dtype=np.int64)
    for t, p in zip(y.tolist(), pred.tolist()):
        conf[t, p] += 1
    return float((pred == y).float().mean()), conf


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--train", type=int, default=9000, help="training phantoms (seeds 0..N-1)")
    ap.add_argument("--test", type=int, default=3000, help="held-out phantoms (seeds from 10_000_000)")
    ap.add_argument("--epochs", type=int, default=14)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--state", default=None, help="save the trained state_dict here (or load it with --no-train)")
    ap.add_argument("--no-train", action="store_true", help="load --state instead of training")
    ap.add_argument("--no-samples", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    t0 = time.time()
    xte, yte, _ = make_data(HELD_OUT_SEED, a.test)
    model = build_model()
    if a.no_train:
        model.load_state_dict(torch.load(a.state))
        epochs_done = a.epochs  # as trained (pass the same --epochs the state was trained with)
    else:
        xtr, ytr, _ = make_data(0, a.train)
        print("data: %d train, %d held-out, %.1fs" % (len(xtr), len(xte), time.time() - t0), flush=True)
        opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
        steps = a.epochs * ((len(xtr) + a.batch - 1) // a.batch)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=steps)
        g = torch.Generator().manual_seed(0)
        for ep in range(a.epochs):
            model.train()
            perm = torch.randperm(len(xtr), generator=g)
            tot = 0.0
            for i in range(0, len(xtr), a.batch):
                idx = perm[i:i + a.batch]
                xb = xtr[idx]
                if torch.rand(1, generator=g).item() < 0.5:  # left-right flip keeps every label valid
                    xb = xb.flip(3)
                loss = nn.functional.cross_entropy(model(xb), ytr[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                tot += loss.item() * len(idx)
            acc, _ = evaluate(model, xte, yte)
            print("epoch %d loss %.4f held-out acc %.4f (%.0fs)" % (ep + 1, tot / len(xtr), acc, time.time() - t0),
                  flush=True)
        epochs_done = a.epochs
        if a.state:
            torch.save(model.state_dict(), a.state)
    model.eval()
    acc, conf = evaluate(model, xte, yte)
    print("held-out accuracy %.4f on %d phantoms" % (acc, len(xte)))
    print(conf)

    from export_bundle import export_bundle  # noqa: E402
    # samples (and the first four as reference inputs): one of each kind, then two drawn from the seed
    sample_seeds = list(range(HELD_OUT_SEED + 100_000, HELD_OUT_SEED + 100_000 + 8))
    sample_kinds = SAMPLE_KINDS
    xs = np.stack([(phantom.generate(s, 64, k)["image"][None] - MEAN) / STD
                   for s, k in zip(sample_seeds[:4], sample_kinds[:4])]).astype(np.float32)
    export_bundle(model, ["features.10", "features.14"], a.out, name="phantom-cxr", task="multiclass",
                  labels=phantom.KINDS, channels=1, height=64, width=64, mean=[MEAN], std=[STD],
                  default_layer="features.14", reference_inputs=xs, overwrite=True)
    info = {"classes": phantom.KINDS, "train_seeds": [0, a.train], "held_out_seeds": [HELD_OUT_SEED, HELD_OUT_SEED + a.test],
            "held_out_accuracy": acc, "confusion_matrix_rows_true_cols_pred": conf.tolist(), "epochs": epochs_done,
            "parameters": sum(p.numel() for p in model.parameters()), "seconds": round(time.time() - t0, 1),
            "normalisation": {"mean": [MEAN], "std": [STD]}, "torch": torch.__version__,
            "reference_inputs": [{"file": "reference/inputs/%d.npy" % i, "seed": s, "kind": k,
                                  "made_by": "(phantom.generate(seed, 64, kind).image - 0.5) / 0.25"}
                                 for i, (s, k) in enumerate(zip(sample_seeds[:4], sample_kinds[:4]))]}
    with open(os.path.join(a.out, "training.json"), "w") as fh:
        json.dump(info, fh, indent=1)
    if not a.no_samples:
        write_samples(model, os.path.join(a.out, "samples"), sample_seeds)
    write_files_txt(a.out)
    print("done in %.0fs" % (time.time() - t0))


def write_samples(model, out, seeds):
    from PIL import Image
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    meta = []
    for s, k in zip(seeds, SAMPLE_KINDS):
        p = phantom.generate(s, 64, k)
        x = torch.from_numpy((p["image"][None, None] - MEAN) / STD)
        with torch.no_grad():
            logits = model(x)[0]
        f = "%s-%d.png" % (p["label"], s)
        Image.fromarray(np.round(p["image"] * 255.0).astype(np.uint8), mode="L").save(os.path.join(out, f))
        meta.append({"file": f, "seed": s, "kind": k, "label": p["label"], "label_index": p["label_index"],
                     "predicted": phantom.KINDS[int(logits.argmax())], "lesions": p["lesions"], "zones": p["zones"],
                     "note": "8-bit PNG of the phantom (pixel = round(255 * value)); boxes [x0, y0, x1, y1), x1/y1 exclusive"})
    with open(os.path.join(out, "samples.json"), "w") as fh:
        json.dump(meta, fh, indent=1)


def write_files_txt(out):
    files = []
    for dp, _, fs in os.walk(out):
        for f in fs:
            rel = os.path.relpath(os.path.join(dp, f), out).replace(os.sep, "/")
            if rel != "files.txt":
                files.append(rel)
    with open(os.path.join(out, "files.txt"), "w") as fh:
        fh.write("\n".join(sorted(files)) + "\n")


if __name__ == "__main__":
    main()
