"""Trains the tiny ViT and tiny Swin demo fixtures on phantom chest X-rays and exports them.

    /usr/bin/python3 tools/transformers/train.py                 # train both, export the bundles
    /usr/bin/python3 tools/transformers/train.py --models vit --epochs 2 --out /tmp/tt   # quick try
    /usr/bin/python3 tools/transformers/train.py --no-train     # re-export from tools/.work/transformers/*.state.pt

Data and split as tools/phantom/train.py (the CNN fixture): six phantom kinds, training seeds 0..N-1, held-out
seeds from 10_000_000, input (x - 0.5) / 0.25, left-right flips. Writes, per model: the embedded bundle
(tools/export_bundle.py: model.pt, layers/, model.onnx, attention.pt for the ViT, reference/, training.json,
files.txt) into --out (default runtime/src/main/resources/org/xcam/fixtures/<name>, next to phantom-cxr). The
bundle's model.onnx is a plain torch.onnx.export of the model (opset 13, dynamic batch): the ONNX engine loads it as
a bare file too (--model .../model.onnx, no manifest). The trained state_dicts stay in
tools/.work/transformers/ (git-ignored); --no-train re-exports from them.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tools", "phantom"))
import phantom  # noqa: E402
import tiny_models  # noqa: E402

MEAN, STD = 0.5, 0.25
HELD_OUT_SEED = 10_000_000
WORK = os.path.join(ROOT, "tools", ".work", "transformers")
MODELS = {
    "vit": dict(name="phantom-vit", build=tiny_models.tiny_vit, layers=["blocks.2", "blocks.3"], lr=2e-3),
    "swin": dict(name="phantom-swin", build=tiny_models.tiny_swin, layers=["features.1", "features.3"], lr=4e-3),
}


def make_data(first, n, size=64):
    x, y, _ = phantom.batch(range(first, first + n), size)
    return torch.from_numpy((x - MEAN) / STD), torch.from_numpy(y)


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + 500]).argmax(1) for i in range(0, len(x), 500)])
    k = len(phantom.KINDS)
    conf = np.zeros((k, k), dtype=np.int64)
    for t, p in zip(y.tolist(), pred.tolist()):
        conf[t, p] += 1
    return float((pred == y).float().mean()), conf


def train(model, xtr, ytr, xte, yte, epochs, lr, batch, log, checkpoint=None):
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    steps = epochs * ((len(xtr) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    g = torch.Generator().manual_seed(0)
    t0 = time.time()
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=g)
        tot = 0.0
        for i in range(0, len(xtr), batch):
            idx = perm[i:i + batch]
            xb = xtr[idx]
            if torch.rand(1, generator=g).item() < 0.5:
                xb = xb.flip(3)
            loss = nn.functional.cross_entropy(model(xb), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item() * len(idx)
        if checkpoint:   # every epoch, so a run cut short still leaves its last state
            torch.save(model.state_dict(), checkpoint)
        acc, _ = evaluate(model, xte[:1000], yte[:1000])
        log("epoch %d loss %.4f held-out acc (first 1000) %.4f (%.0fs)" % (ep + 1, tot / len(xtr), acc, time.time() - t0))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["vit", "swin"], choices=list(MODELS))
    ap.add_argument("--out", default=os.path.join(ROOT, "runtime", "src", "main", "resources", "org", "xcam", "fixtures"))
    ap.add_argument("--train", type=int, default=3000)
    ap.add_argument("--test", type=int, default=3000)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-train", action="store_true", help="load tools/.work/transformers/<name>.state.pt")
    ap.add_argument("--no-export", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    os.makedirs(WORK, exist_ok=True)
    xte, yte = make_data(HELD_OUT_SEED, a.test)
    xtr = ytr = None
    for key in a.models:
        spec = MODELS[key]
        torch.manual_seed(0)
        model = spec["build"]()
        state = os.path.join(WORK, spec["name"] + ".state.pt")
        info_path = os.path.join(WORK, spec["name"] + ".training.json")
        t0 = time.time()
        if a.no_train:
            final = os.path.exists(state)
            model.load_state_dict(torch.load(state if final else state + ".last"))
            if final and os.path.exists(info_path):
                with open(info_path) as fh:
                    info = json.load(fh)
            else:   # a run cut short: its last epoch's state, evaluated here
                acc, conf = evaluate(model, xte, yte)
                info = {"model": spec["name"], "classes": phantom.KINDS, "held_out_seeds": [HELD_OUT_SEED, HELD_OUT_SEED + a.test],
                        "held_out_accuracy": acc, "confusion_matrix_rows_true_cols_pred": conf.tolist(),
                        "note": "state of the last completed epoch of a run cut short",
                        "parameters": sum(p.numel() for p in model.parameters()), "torch": torch.__version__}
                print(spec["name"], "held-out accuracy %.4f (last epoch's state)" % acc, flush=True)
        else:
            if xtr is None:
                xtr, ytr = make_data(0, a.train)
            train(model, xtr, ytr, xte, yte, a.epochs, spec["lr"], a.batch, lambda s: print(spec["name"], s, flush=True),
                  checkpoint=state + ".last")
            torch.save(model.state_dict(), state)
            acc, conf = evaluate(model, xte, yte)
            info = {"model": spec["name"], "classes": phantom.KINDS, "train_seeds": [0, a.train],
                    "held_out_seeds": [HELD_OUT_SEED, HELD_OUT_SEED + a.test], "held_out_accuracy": acc,
                    "confusion_matrix_rows_true_cols_pred": conf.tolist(), "epochs": a.epochs,
                    "parameters": sum(p.numel() for p in model.parameters()), "seconds": round(time.time() - t0, 1),
                    "threads": a.threads, "normalisation": {"mean": [MEAN], "std": [STD]}, "torch": torch.__version__}
            with open(info_path, "w") as fh:
                json.dump(info, fh, indent=1)
            print(spec["name"], "held-out accuracy %.4f" % acc, flush=True)
        if not a.no_export:
            export(model.eval(), spec, os.path.join(a.out, spec["name"]), info)


def export(model, spec, out, info):
    from export_bundle import export_bundle
    seeds = list(range(HELD_OUT_SEED + 100_000, HELD_OUT_SEED + 100_000 + 4))
    kinds = ["nodule", "effusion", "mass", "consolidation"]
    xs = np.stack([(phantom.generate(s, 64, k)["image"][None] - MEAN) / STD for s, k in zip(seeds, kinds)]).astype(np.float32)
    export_bundle(model, spec["layers"], out, name=spec["name"], task="multiclass", labels=phantom.KINDS,
                  channels=1, height=64, width=64, mean=[MEAN], std=[STD], reference_inputs=xs, overwrite=True)
    with open(os.path.join(out, "training.json"), "w") as fh:
        json.dump(info, fh, indent=1)
    write_files_txt(out)


def write_files_txt(out):
    """files.txt: the bundle's files, one per line, for extraction from the runtime jar (as tools/phantom/train.py)."""
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
