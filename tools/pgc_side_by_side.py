#!/usr/bin/env python3
"""Score-CAM and Ablation-CAM side by side: pytorch-grad-cam against `xcam explain`, same model, input, layer, target.

    /usr/bin/python3 tools/gen_torchvision.py --only big --bundles --models resnet18   # tools/.work/resnet18-bundle
    mvn -B -q -pl cli -am package -DskipTests                                           # cli/target/xcam.jar
    /usr/bin/python3 tools/pgc_side_by_side.py --pgc /path/to/pytorch-grad-cam --threads 2 --rounds 3 \\
        --xcam "--engine onnx --engine-option threads=1"

pytorch-grad-cam is not installable offline: point --pgc at a checkout of jacobgil/pytorch-grad-cam (the numbers in
plugins-perturbation/README.md used commit 084273b, Debian's torch 1.13). The optional imports it does not need for
these two methods (matplotlib, scipy, sklearn, ttach) are stubbed when missing.

Each round runs pytorch-grad-cam once (torch.set_num_threads(--threads), its ScoreCAM batch 16, its default; its
AblationCAM batch 32, its default), then one `xcam explain` with the given engine arguments; the printed time per call
is pytorch-grad-cam's wall time and the manifest's millisPerImage. Runs alternate, so load drift hits both. The maps
are compared after max-normalising (cosine, max difference). Pin both to the same cores with `taskset -c ...` in
front of this script to compare on N cores.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from gen_torchvision import build  # noqa: E402

STUBS = {
    "matplotlib/__init__.py": "", "matplotlib/pyplot.py": "",
    "matplotlib/cm.py": "def __getattr__(n): return None\n", "matplotlib/colors.py": "def __getattr__(n): return None\n",
    "matplotlib/lines.py": "Line2D = None\n", "matplotlib/patches.py": "Patch = None\n",
    "scipy/__init__.py": "", "scipy/ndimage.py": "def __getattr__(n): return None\n",
    "scipy/sparse/__init__.py": "def __getattr__(n): return None\n",
    "scipy/sparse/linalg/__init__.py": "def __getattr__(n): return None\n",
    "sklearn/__init__.py": "", "sklearn/decomposition/__init__.py": "def __getattr__(n): return None\n",
    "ttach.py": "class Compose:\n    def __init__(self, *a, **k): pass\n"
                "def HorizontalFlip(*a, **k): pass\ndef Multiply(*a, **k): pass\n",
}


def stub_missing(where):
    for mod in ("matplotlib", "scipy", "sklearn", "ttach"):
        try:
            __import__(mod)
        except ImportError:
            for path, text in STUBS.items():
                if path.split("/")[0].replace(".py", "") == mod:
                    full = os.path.join(where, path)
                    os.makedirs(os.path.dirname(full), exist_ok=True)
                    with open(full, "w") as f:
                        f.write(text)
    sys.path.insert(0, where)


def cosine_maxdiff(a, b):
    a = a / np.abs(a).max()
    b = b / np.abs(b).max()
    return float((a * b).sum() / np.linalg.norm(a) / np.linalg.norm(b)), float(np.abs(a - b).max())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pgc", required=True, help="checkout of jacobgil/pytorch-grad-cam")
    ap.add_argument("--bundle", default=os.path.join(HERE, ".work", "resnet18-bundle"))
    ap.add_argument("--jar", default=os.path.join(ROOT, "cli", "target", "xcam.jar"))
    ap.add_argument("--methods", default="scorecam,ablationcam")
    ap.add_argument("--threads", type=int, default=1, help="torch threads for pytorch-grad-cam")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--images", type=int, default=1,
                    help="copies of the input per xcam run (default 1): xcam's time per image is then the mean over them, so its"
                         " one-time costs (JVM warm-up, the layer's engine session made on first use) are shared as in a real"
                         " run over many images; pytorch-grad-cam's model and CAM object stay warm across rounds anyway")
    ap.add_argument("--xcam", action="append", help="extra xcam explain arguments, e.g. \"--engine onnx --engine-option threads=1\";"
                    " repeat to time several configurations against the same pytorch-grad-cam run (default: none, xcam's defaults)")
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="pgc-sbs-")
    stub_missing(os.path.join(work, "stubs"))
    sys.path.insert(0, a.pgc)
    import pytorch_grad_cam.base_cam as base_cam
    from pytorch_grad_cam import AblationCAM, ScoreCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    base_cam.scale_cam_image = lambda cam, target_size=None: cam      # raw maps at the layer's resolution

    torch.set_num_threads(a.threads)
    model, (c, h, w) = build("resnet18")
    x = torch.randn(1, c, h, w, generator=torch.Generator().manual_seed(7))
    np.save(os.path.join(work, "x.npy"), x.numpy())
    inputs = []
    for i in range(a.images):
        inputs.append(os.path.join(work, "x.npy" if i == 0 else "x%d.npy" % i))
        np.save(inputs[-1], x.numpy())
    with torch.no_grad():
        target = int(model(x).argmax())
    configs = a.xcam or [""]
    print("resnet18 layer4, target %d, torch %s, %d torch thread(s); %d image(s) per xcam run" % (target, torch.__version__, a.threads, a.images))
    for method in a.methods.split(","):
        cam = (ScoreCAM if method == "scorecam" else AblationCAM)(model=model, target_layers=[model.layer4])
        if method == "scorecam":
            cam.batch_size = 16
        ratios = {cfg: [] for cfg in configs}
        for r in range(a.rounds):
            t0 = time.time()
            ref = cam(input_tensor=x, targets=[ClassifierOutputTarget(target)])[0]
            tp = time.time() - t0
            print("%-10s round %d: pytorch-grad-cam %.2f s" % (method, r + 1, tp), flush=True)
            for i, cfg in enumerate(configs):
                out = os.path.join(work, "out-%s-%d-%d" % (method, r, i))
                cmd = ["java", "-Xmx6g", "-cp", a.jar, "org.xcam.cli.XcamCli", "explain", "--model", a.bundle, "--method", method,
                       "--layer", "layer4", "--target", str(target), "--out", out] + cfg.split() + inputs
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                res = json.load(open(os.path.join(out, "manifest.json")))["results"][0]
                tx = res["millisPerImage"] / 1000.0
                cos, md = cosine_maxdiff(np.load(os.path.join(out, "x.%s.raw.npy" % method)), ref.astype(np.float32))
                ratios[cfg].append(tp / tx)
                print("    xcam [%s]: %.2f s, ratio %.2f; parallel %s; maps cosine %.8f, max diff %.1e"
                      % (cfg or "defaults", tx, tp / tx, res["extras"].get("parallel"), cos, md), flush=True)
        for cfg in configs:
            rs = sorted(ratios[cfg])
            print("%-10s xcam [%s]: median ratio %.2f (%s)" % (method, cfg or "defaults", rs[len(rs) // 2], ", ".join("%.2f" % v for v in rs)))

if __name__ == "__main__":
    main()
