#!/usr/bin/env python3
"""The model zoo: real architectures exported without wrapping, as bundles and as plain ONNX files.

    python3 tools/zoo.py                      # the full zoo (random weights) -> tools/.work/zoo/ (git-ignored, ~1 GB)
    python3 tools/zoo.py --only cxr-densenet121 resnet50
    python3 tools/zoo.py --fixtures           # the small committed fixtures -> fixtures/zoo/ (tests use them)
    python3 tools/zoo.py --explain IMAGE.png  # xcam explain on every exported model, both engines -> explain.json

Not run by CI (CI has no Python); the fixtures it writes are committed.

Full zoo (torchvision 0.14 architectures, random seeded weights, batch-norm statistics calibrated on phantom chest
X-rays so outputs are not saturated), each cut at two layers by ``export_bundle`` (forward hooks: no
``nn.Sequential``, no torch.fx, no wrapper):

    resnet50            layer3, layer4                                 3 x 224 x 224, 14 logits (multilabel)
    densenet121         features.denseblock4, features.norm5           (in-place ReLU after norm5)
    efficientnet_b0     features.6, features.8                         SiLU, squeeze-excitation
    mobilenet_v3_large  features.12, features.16                       hardswish, hardsigmoid
    convnext_tiny       features.5, features.7                         LayerNorm, GELU (Erf), permutes (opset 17)
    regnet_y_400mf      trunk_output.block3, trunk_output.block4       squeeze-excitation, groups
    cxr-densenet121     features.denseblock4, features                 the CXR-library shape (below)

``cxr-densenet121`` has the shape of the most widely used open chest X-ray model library: a DenseNet-121 with one
input channel taking pixels in [-1024, 1024], 18 labels, a ``forward`` that is not ``nn.Sequential``
(``fix_resolution`` Python control flow, ``features2`` with ``F.relu(features, inplace=True)`` right after the last
norm, pooling, classifier), then sigmoid and a per-label piecewise-linear rescaling to an operating point written
with boolean-mask indexing (``op_norm``; labels without an operating point, NaN, stay at 0.5). Its outputs are
probabilities (manifest ``"outputs": "probabilities"``).

Each model ``<name>`` becomes ``<out>/<name>/`` (a bundle; ``reference/`` holds the eager model's outputs,
activations and gradients for the engines' tests) whose ``model.onnx`` is a plain ``torch.onnx.export`` file that
loads on its own (``--model <out>/<name>/model.onnx``). ``<out>/zoo.json`` records, per model, the export time,
bundle size, parameters, layers and checks.

Fixtures (``--fixtures``, a few hundred KB each, 1 x 64 x 64 or 3 x 64 x 64):

    cxr-densenet-tiny   the CXR-library model above at DenseNet(growth 4, blocks (2, 2, 2), 8 initial features),
                        64 x 64, 18 probabilities; layers features.denseblock3, features (in-place ReLU after it).
                        Also records, for reference input 0, Grad-CAM computed with hooks on the unmodified model
                        for every label with p > 0.5 (reference/gradcam/<layer>/<k>.npy).
    mobilenet-tiny      torchvision MobileNetV3 with three inverted-residual blocks (ReLU/hardswish, SE with
                        hardsigmoid), 5 logits (multiclass); layers features.2, features.4
    convnext-mini       torchvision ConvNeXt with two stages of one block (depth-wise 7x7, LayerNorm, GELU, layer
                        scale), 3 logits (multiclass), ONNX opset 17 (LayerNormalization); layers features.1, features.3
    mlp-no-cut.onnx     a plain ONNX file with no 4-D tensor to cut at (Flatten, Linear, ReLU, Linear, softmax): it loads
                        with forward passes and input gradients only, and `xcam layers` says why
"""
import argparse
import copy
import json
import os
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "phantom"))
from export_bundle import _eager_reference, export_bundle  # noqa: E402
from phantom import generate  # noqa: E402

WORK = os.path.join(HERE, ".work", "zoo")
FIXTURES = os.path.join(ROOT, "fixtures", "zoo")

CXR_LABELS = ["Atelectasis", "Consolidation", "Infiltration", "Pneumothorax", "Edema", "Emphysema", "Fibrosis",
              "Effusion", "Pneumonia", "Pleural_Thickening", "Cardiomegaly", "Nodule", "Mass", "Hernia", "Lung Lesion",
              "Fracture", "Lung Opacity", "Enlarged Cardiomediastinum"]
NIH14 = CXR_LABELS[:14]
IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])


# ------------------------------------------------------------------------------------------------ the CXR model

def op_norm(outputs, op_threshs):
    """Per-label piecewise-linear rescaling so that each label's operating point maps to 0.5 (the CXR library's
    post-processing, written as it writes it: boolean-mask indexing)."""
    op_threshs = op_threshs.expand(outputs.shape[0], -1)
    outputs_new = torch.zeros(outputs.shape, device=outputs.device, dtype=outputs.dtype) + 0.5
    mask_leq = (outputs < op_threshs) & ~torch.isnan(op_threshs)
    mask_gt = ~(outputs < op_threshs) & ~torch.isnan(op_threshs)
    outputs_new[mask_leq] = outputs[mask_leq] / (op_threshs[mask_leq] * 2)
    outputs_new[mask_gt] = 1.0 - ((1.0 - outputs[mask_gt]) / ((1 - op_threshs[mask_gt]) * 2))
    return outputs_new


class CxrDenseNet(torchvision.models.DenseNet):
    """A DenseNet with the CXR library's forward: 1 channel in [-1024, 1024], sigmoid, operating-point rescaling."""

    def __init__(self, resolution=224, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64, bn_size=4,
                 seed=0):
        super().__init__(growth_rate=growth_rate, block_config=block_config, num_init_features=num_init_features,
                         bn_size=bn_size, num_classes=len(CXR_LABELS))
        self.features.conv0 = nn.Conv2d(1, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)
        self.resolution = resolution
        g = torch.Generator().manual_seed(seed + 17)
        th = 0.25 + 0.5 * torch.rand(len(CXR_LABELS), generator=g)
        th[[13, 14, 15]] = float("nan")   # labels without an operating point stay at 0.5
        self.register_buffer("op_threshs", th)
        self.pathologies = CXR_LABELS

    def fix_resolution(self, x):
        if x.shape[2] != self.resolution or x.shape[3] != self.resolution:
            x = F.interpolate(x, size=(self.resolution, self.resolution), mode="bilinear", align_corners=False)
        return x

    def features2(self, x):
        features = self.features(x)
        out = F.relu(features, inplace=True)
        out = F.adaptive_avg_pool2d(out, (1, 1)).view(features.size(0), -1)
        return out

    def forward(self, x):
        x = self.fix_resolution(x)
        out = self.classifier(self.features2(x))
        out = torch.sigmoid(out)
        return op_norm(out, self.op_threshs)


# ------------------------------------------------------------------------------------------------ model list

def _mobilenet_tiny():
    from torchvision.models.mobilenetv3 import InvertedResidualConfig, MobileNetV3
    cfg = [InvertedResidualConfig(8, 3, 16, 8, True, "RE", 2, 1, 1.0),
           InvertedResidualConfig(8, 3, 24, 12, False, "HS", 2, 1, 1.0),
           InvertedResidualConfig(12, 5, 32, 12, True, "HS", 1, 1, 1.0)]
    return MobileNetV3(cfg, last_channel=32, num_classes=5)


def _convnext_mini():
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
    return ConvNeXt([CNBlockConfig(8, 16, 1), CNBlockConfig(16, None, 1)], stochastic_depth_prob=0.0, num_classes=3)


# name: (builder, layers, channels, size, task, labels, outputs, mean, std, opset)
FULL = {
    "resnet50": (lambda: torchvision.models.resnet50(num_classes=14), ["layer3", "layer4"], 3, 224, "multilabel",
                 NIH14, "logits", *IMAGENET, 13),
    "densenet121": (lambda: torchvision.models.densenet121(num_classes=14), ["features.denseblock4", "features.norm5"], 3,
                    224, "multilabel", NIH14, "logits", *IMAGENET, 13),
    "efficientnet_b0": (lambda: torchvision.models.efficientnet_b0(num_classes=14), ["features.6", "features.8"], 3, 224,
                        "multilabel", NIH14, "logits", *IMAGENET, 13),
    "mobilenet_v3_large": (lambda: torchvision.models.mobilenet_v3_large(num_classes=14), ["features.12", "features.16"], 3,
                           224, "multilabel", NIH14, "logits", *IMAGENET, 13),
    "convnext_tiny": (lambda: torchvision.models.convnext_tiny(num_classes=14), ["features.5", "features.7"], 3, 224,
                      "multilabel", NIH14, "logits", *IMAGENET, 17),
    "regnet_y_400mf": (lambda: torchvision.models.regnet_y_400mf(num_classes=14),
                       ["trunk_output.block3", "trunk_output.block4"], 3, 224, "multilabel", NIH14, "logits", *IMAGENET, 13),
    "cxr-densenet121": (lambda: CxrDenseNet(), ["features.denseblock4", "features"], 1, 224, "multilabel", CXR_LABELS,
                        "probabilities", [0.5], [1 / 2048], 13),
}

TINY = {
    "cxr-densenet-tiny": (lambda: CxrDenseNet(resolution=64, growth_rate=4, block_config=(2, 2, 2), num_init_features=8,
                                              bn_size=2),
                          ["features.denseblock3", "features"], 1, 64, "multilabel", CXR_LABELS, "probabilities",
                          [0.5], [1 / 2048], 13),
    "mobilenet-tiny": (_mobilenet_tiny, ["features.2", "features.4"], 3, 64, "multiclass",
                       ["normal", "nodule", "mass", "effusion", "cardiomegaly"], "logits", *IMAGENET, 13),
    "convnext-mini": (_convnext_mini, ["features.1", "features.3"], 3, 64, "multiclass", ["normal", "nodule", "effusion"],
                      "logits", *IMAGENET, 17),
}


# ------------------------------------------------------------------------------------------------ inputs, weights

def phantom_inputs(seeds, channels, size, mean, std):
    """Phantom chest X-rays (tools/phantom), [N, C, size, size], normalised as the manifest says."""
    xs = []
    for s in seeds:
        img = generate(s, size=size)["image"].astype(np.float32)
        x = np.stack([img] * channels)
        x = (x - np.asarray(mean, np.float32)[:, None, None]) / np.asarray(std, np.float32)[:, None, None]
        xs.append(x)
    return torch.from_numpy(np.stack(xs).astype(np.float32))


def randomise(model, seed, calib):
    """Seeded random weights; batch-norm statistics estimated on ``calib`` (cumulative average), so activations are
    normalised and the outputs are not saturated; classifier scaled so the outputs spread over a few units."""
    torch.manual_seed(seed)
    for m in model.modules():
        if hasattr(m, "reset_parameters") and not isinstance(m, (nn.BatchNorm2d,)):
            m.reset_parameters()
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
        with torch.no_grad():
            m.weight.uniform_(0.8, 1.2)
            m.bias.uniform_(-0.1, 0.1)
    if bns:
        model.train()
        with torch.no_grad():
            for i in range(0, calib.shape[0], 4):
                model(calib[i:i + 4])
    model.eval()
    return model


def build(spec, name, seed):
    builder, layers, c, size, task, labels, outputs, mean, std, opset = spec
    model = builder()
    calib = phantom_inputs(range(1000, 1016), c, size, mean, std)
    randomise(model, seed, calib)
    return model, layers, c, size, task, labels, outputs, mean, std, opset


def bundle_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


# ------------------------------------------------------------------------------------------------ Grad-CAM reference

def gradcam_reference(model, layer, x0):
    """Grad-CAM of input 0 for every output with value > 0.5, with hooks on the unmodified eager model (the activation
    replaced by a leaf copy, so DenseNet's in-place ReLU cannot alter it): relu(sum_c mean_hw(dY_k/dA_c) A_c)."""
    box = {}

    def swap(m, i, o):
        box["a"] = o.detach().clone().requires_grad_(True)
        return box["a"].clone()

    h = model.get_submodule(layer).register_forward_hook(swap)
    try:
        with torch.enable_grad():
            y = model(x0[:1])
            maps = {}
            for k in range(y.shape[1]):
                if float(y[0, k]) > 0.5:
                    (g,) = torch.autograd.grad(y[0, k], box["a"], retain_graph=True)
                    w = g[0].mean(dim=(1, 2))
                    maps[k] = torch.relu((w[:, None, None] * box["a"][0]).sum(0)).detach().numpy().astype(np.float32)
    finally:
        h.remove()
    return y.detach()[0].numpy(), maps


# ------------------------------------------------------------------------------------------------ main

def float32_noise(model, layers, x0, top, seed=3):
    """How far PyTorch's own reference gradients move under float32-sized changes, per layer and for the input (max
    error relative to max|g|): the same model in float64; one intra-op thread instead of the export's (another
    summation order); and the activation (or input) multiplied by (1 + 1e-6 N(0, 1)). Deep random-weight networks have
    early-layer and input gradients that jump at ReLU kinks crossed by such changes, so no float32 engine (PyTorch
    itself included) can be held closer to the reference than this; the engines' tests widen 1e-4 to twice the largest
    of the three where it is larger."""
    m64 = copy.deepcopy(model).double().eval()
    for p in list(model.parameters()) + list(m64.parameters()):
        p.requires_grad_(False)
    gen = torch.Generator().manual_seed(seed)

    def grad(m, layer, x, jitter=0.0):
        if layer == "input":
            x = (x * (1 + jitter * torch.randn(x.shape, generator=gen, dtype=x.dtype))).requires_grad_(True)
            with torch.enable_grad():
                (g,) = torch.autograd.grad(m(x)[0, top], x)
            return g.double()
        box = {}

        def swap(mod, i, o):
            box["a"] = (o.detach() * (1 + jitter * torch.randn(o.shape, generator=gen, dtype=o.dtype))).requires_grad_(True)
            return box["a"].clone()

        h = m.get_submodule(layer).register_forward_hook(swap)
        try:
            with torch.enable_grad():
                (g,) = torch.autograd.grad(m(x)[0, top], box["a"])
        finally:
            h.remove()
        return g.double()

    def rel(a, b):
        return float((a - b).abs().max() / b.abs().max())

    res = {}
    threads = torch.get_num_threads()
    for layer in layers + ["input"]:
        g = grad(model, layer, x0)
        e64 = rel(g, grad(m64, layer, x0.double()))
        torch.set_num_threads(1 if threads != 1 else 2)
        e1 = rel(grad(model, layer, x0), g)
        torch.set_num_threads(threads)
        ep = rel(grad(model, layer, x0, 1e-6), g)
        res[layer] = {"float64": e64, "otherThreads": e1, "perturbed1e-6": ep, "maxRel": max(e64, e1, ep)}
    return res


def write_noise(bundle, top, noise):
    old = os.path.join(bundle, "reference", "float64.json")
    if os.path.exists(old):
        os.remove(old)
    with open(os.path.join(bundle, "reference", "noise.json"), "w") as fh:
        json.dump({"what": "how far the reference gradients (input 0, output %d) move under float32-sized changes: the "
                           "model in float64, another intra-op thread count, the activation times (1 + 1e-6 N(0,1)); "
                           "max error relative to max|g| (tools/zoo.py float32_noise)" % top,
                   "target": top, "layers": noise}, fh, indent=1)


def export(name, spec, out, seed, with_gradcam=False):
    model, layers, c, size, task, labels, outputs, mean, std, opset = build(spec, name, seed)
    ref = phantom_inputs([7, 11], c, size, mean, std)
    path = os.path.join(out, name)
    t0 = time.time()
    manifest = export_bundle(model, layers, path, name=name, task=task, labels=labels, channels=c, height=size,
                             width=size, mean=mean, std=std, reference_inputs=ref, opset=opset, outputs=outputs,
                             overwrite=True, quiet=True)
    seconds = time.time() - t0
    with open(os.path.join(path, "reference", "logits.json")) as fh:
        checks = json.load(fh)["checks"]
    if with_gradcam:
        for layer in layers:
            y0, maps = gradcam_reference(model, layer, ref)
            d = os.path.join(path, "reference", "gradcam", layer)
            os.makedirs(d, exist_ok=True)
            for k, m in maps.items():
                np.save(os.path.join(d, "%d.npy" % k), m)
    with torch.no_grad():
        top = int(model(ref[:1])[0].argmax())
    noise = float32_noise(model, layers, ref[:1], top)
    write_noise(path, top, noise)
    params = sum(p.numel() for p in model.parameters())
    row = {"name": name, "seconds": round(seconds, 1), "bytes": bundle_bytes(path), "params": params, "layers": layers,
           "outputs": manifest["outputs"], "onnx": manifest.get("onnx", {}), "checks": checks, "opset": opset,
           "float32Noise": noise}
    print("%-20s export %6.1f s  bundle %7.1f MB  params %9d  %s" % (name, seconds, row["bytes"] / 1e6, params,
                                                                     ", ".join("%s %.1g" % kv for kv in checks.items())))
    return row


def explain_all(out, only, image, methods, scorecam_max_channels=400):
    """Runs ``xcam explain`` on every exported model: through DJL on the bundle and through ONNX Runtime on the plain
    model.onnx (no manifest: engine options say what the manifest would). Score-CAM runs at the model's first layer
    when that layer has at most ``scorecam_max_channels`` channels (one forward per channel on this CPU). Returns
    {model: {engine: seconds or error}}."""
    import subprocess
    xcam = os.path.join(ROOT, "xcam")
    res = {}
    for name in sorted(os.listdir(out)):
        b = os.path.join(out, name)
        if not os.path.isfile(os.path.join(b, "xcam-model.json")) or (only and name not in only):
            continue
        with open(os.path.join(b, "xcam-model.json")) as fh:
            man = json.load(fh)
        first = man["layers"][0]
        act = np.load(os.path.join(b, "reference", first + ".activation.npy"))
        res[name] = {}
        for engine in ("djl", "onnx"):
            if engine == "djl":
                model = ["--model", b, "--engine", "djl"]
                layer = first
            else:
                model = ["--model", os.path.join(b, "model.onnx"), "--engine", "onnx", "--device", "cpu",
                         "--engine-option", "outputs=" + man.get("outputs", "logits"),
                         "--engine-option", "mean=" + ",".join(str(v) for v in man["input"]["mean"]),
                         "--engine-option", "std=" + ",".join(str(v) for v in man["input"]["std"]),
                         "--engine-option", "task=" + man["task"]]
                layer = man["onnx"][first]
            runs = [["--method", ",".join(methods), "--option", "masks=100"]]
            if act.shape[0] <= scorecam_max_channels:
                runs.append(["--method", "scorecam", "--layer", layer])
            for k, r in enumerate(runs):
                dest = os.path.join(out, ".explain", "%s-%s-%d" % (name, engine, k))
                shutil.rmtree(dest, ignore_errors=True)
                cmd = [xcam, "explain"] + model + r + ["--target", "all:0.5" if name.startswith("cxr") else "predicted",
                                                       "--out", dest, image]
                t0 = time.time()
                p = subprocess.run(cmd, capture_output=True, text=True)
                key = engine + ("" if k == 0 else " scorecam@" + first + " (K=%d)" % act.shape[0])
                res[name][key] = round(time.time() - t0, 1) if p.returncode == 0 else "exit %d: %s" % (
                    p.returncode, p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "")
                print(name, key, res[name][key], flush=True)
    return res


def no_cut_fixture(out):
    """A plain ONNX classifier with no 4-D tensor between input and output (Flatten, Linear, ReLU, Linear, softmax):
    nothing to cut at, so it loads with forward passes and input gradients only (fixtures/zoo/mlp-no-cut.onnx)."""
    torch.manual_seed(5)
    m = nn.Sequential(nn.Flatten(), nn.Linear(256, 16), nn.ReLU(), nn.Linear(16, 3), nn.Softmax(dim=1)).eval()
    path = os.path.join(out, "mlp-no-cut.onnx")
    with torch.no_grad():
        torch.onnx.export(m, torch.randn(1, 1, 16, 16), path, opset_version=13, input_names=["input"],
                          output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    print("wrote", path, os.path.getsize(path), "bytes")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fixtures", action="store_true", help="write the small committed fixtures to fixtures/zoo/")
    ap.add_argument("--only", nargs="+", help="model names")
    ap.add_argument("--out", help="output folder (default tools/.work/zoo, or fixtures/zoo with --fixtures)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--noise-only", action="store_true",
                    help="only (re)compute reference/noise.json of models already exported (same seeds)")
    ap.add_argument("--explain", metavar="IMAGE",
                    help="instead of exporting: run xcam explain (gradcam, rise, saliency; scorecam where K is small) on "
                         "every exported model through both engines, on IMAGE")
    ap.add_argument("--scorecam-max-channels", type=int, default=400,
                    help="with --explain: run Score-CAM at layers with at most this many channels (one forward each)")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.explain:
        out = a.out or (FIXTURES if a.fixtures else WORK)
        res = explain_all(out, a.only, a.explain, ["gradcam", "rise", "saliency"], a.scorecam_max_channels)
        with open(os.path.join(out, "explain.json"), "w") as fh:
            json.dump(res, fh, indent=1)
        return 0
    specs = TINY if a.fixtures else FULL
    out = a.out or (FIXTURES if a.fixtures else WORK)
    os.makedirs(out, exist_ok=True)
    summary_path = os.path.join(out, "zoo.json")
    summary = {}
    if os.path.exists(summary_path):
        with open(summary_path) as fh:
            summary = {r["name"]: r for r in json.load(fh)["models"]}
    if a.fixtures and not a.noise_only and (not a.only or "mlp-no-cut" in a.only):
        no_cut_fixture(out)
    for i, (name, spec) in enumerate(specs.items()):
        if a.only and name not in a.only:
            continue
        if a.noise_only:
            model, layers, c, size, task, labels, outputs, mean, std, opset = build(spec, name, 100 + i)
            ref = phantom_inputs([7, 11], c, size, mean, std)
            with torch.no_grad():
                top = int(model(ref[:1])[0].argmax())
            noise = float32_noise(model, layers, ref[:1], top)
            write_noise(os.path.join(out, name), top, noise)
            summary.setdefault(name, {"name": name})["float32Noise"] = noise
            print(name, noise)
            continue
        summary[name] = export(name, spec, out, seed=100 + i, with_gradcam=name.startswith("cxr"))
    with open(summary_path, "w") as fh:
        json.dump({"torch": torch.__version__, "torchvision": torchvision.__version__, "threads": a.threads,
                   "models": list(summary.values())}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
