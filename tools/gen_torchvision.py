#!/usr/bin/env python3
"""Generate torchvision-style classifiers (random weights, seeded) as ONNX files, with PyTorch reference values, for
the ONNX engine's tests and benchmark.

    python3 tools/gen_torchvision.py                  # tiny models -> engine-onnx/src/test/resources/torchvision/
                                                      # resnet18 + densenet121 -> tools/.work/ (git-ignored, ~80 MB)
    python3 tools/gen_torchvision.py --only tiny      # just the committed fixtures
    python3 tools/gen_torchvision.py --bundles        # also xcam bundles of the big ones via tools/export_bundle.py
    python3 tools/gen_torchvision.py --only big --models resnet50   # tools/.work/resnet50.onnx for xcam bench compile
    python3 tools/gen_torchvision.py --only big --bundles --models resnet18,resnet50
                                                      # the bundles `xcam bench perturbation` times
                                                      # (tools/.work/<name>-bundle; point --models-dir there)

For every model <name> it writes:

    <name>.onnx              opset 13, dynamic batch axis, eval mode (batch-norm after conv folded by the exporter)
    <name>.input.npy         [2, C, H, W] seeded normal input
    <name>.logits.npy        [2, K] PyTorch (eager) logits
    <name>.seed.npy          [2, K] seeded dObjective/dLogits
    <name>.input_grad.npy    [2, C, H, W] PyTorch autograd: d<logits, seed>/d input

The Java tests (engine-onnx OnnxTorchvisionTest) compare the ONNX engine's forward and its generated backward graph
with these, and skip the big models when tools/.work/ does not hold them.

Tiny models (a few hundred KB at most, committed):
  densenet-tiny  torchvision.models.DenseNet(growth_rate=4, block_config=(2, 2, 2), num_init_features=8, bn_size=2),
                 3 x 64 x 64, 3 classes: Conv, BatchNormalization, Relu, MaxPool (overlapping), Concat, AveragePool,
                 GlobalAveragePool, Flatten, Gemm
  resnet-tiny    torchvision BasicBlocks with 8/16 channels, 3 x 64 x 64, 3 classes: residual Add, strided
                 downsample, overlapping MaxPool, GlobalAveragePool
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TINY_DIR = os.path.join(ROOT, "engine-onnx", "src", "test", "resources", "torchvision")
WORK_DIR = os.path.join(HERE, ".work")


class TinyResNet(nn.Module):
    """ResNet layout (stem, two BasicBlock stages, global pool, fc) at 8/16 channels."""

    def __init__(self, num_classes=3):
        super().__init__()
        from torchvision.models.resnet import BasicBlock
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = BasicBlock(8, 8)
        down = nn.Sequential(nn.Conv2d(8, 16, 1, 2, bias=False), nn.BatchNorm2d(16))
        self.layer2 = BasicBlock(8, 16, stride=2, downsample=down)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def randomise_bn(model, gen):
    """Non-trivial batch-norm statistics, so inference-mode batch norm is not the identity."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=gen))
                m.running_var.copy_(1 + 0.2 * torch.rand(m.running_var.shape, generator=gen))


def build(name):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    if name == "densenet-tiny":
        m = torchvision.models.DenseNet(growth_rate=4, block_config=(2, 2, 2), num_init_features=8, bn_size=2,
                                        num_classes=3)
        shape = (3, 64, 64)
    elif name == "resnet-tiny":
        m = TinyResNet(3)
        shape = (3, 64, 64)
    elif name == "resnet18":
        m = torchvision.models.resnet18(weights=None)
        shape = (3, 224, 224)
    elif name == "densenet121":
        m = torchvision.models.densenet121(weights=None)
        shape = (3, 224, 224)
    elif name == "resnet50":
        m = torchvision.models.resnet50(weights=None)
        shape = (3, 224, 224)
    else:
        raise SystemExit("unknown model " + name)
    randomise_bn(m, gen)
    return m.eval(), shape


def export(name, out_dir, opset=13):
    model, (c, h, w) = build(name)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, name + ".onnx")
    x0 = torch.zeros(1, c, h, w)
    torch.onnx.export(model, x0, path, opset_version=opset, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, c, h, w, generator=g)
    x.requires_grad_(True)
    y = model(x)
    seed = torch.randn(y.shape, generator=g)
    (y * seed).sum().backward()
    base = os.path.join(out_dir, name)
    np.save(base + ".input.npy", x.detach().numpy().astype(np.float32))
    np.save(base + ".logits.npy", y.detach().numpy().astype(np.float32))
    np.save(base + ".seed.npy", seed.numpy().astype(np.float32))
    np.save(base + ".input_grad.npy", x.grad.numpy().astype(np.float32))
    print("wrote %s (%.1f KB)" % (path, os.path.getsize(path) / 1024))
    return model, (c, h, w)


def bundle(name, model, chw):
    sys.path.insert(0, HERE)
    try:
        from export_bundle import export_bundle
    except ImportError:
        print("tools/export_bundle.py not found; skipping the bundle of", name)
        return
    layers = {"resnet18": ["layer3", "layer4"], "resnet50": ["layer3", "layer4"], "densenet121": ["features.denseblock3", "features.denseblock4"]}[name]
    c, h, w = chw
    export_bundle(model, layers, os.path.join(WORK_DIR, name + "-bundle"), name=name, task="multiclass",
                  labels=["class %d" % k for k in range(1000)], channels=c, height=h, width=w,
                  mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225], overwrite=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["tiny", "big"], help="only the committed tiny models or only the big ones")
    ap.add_argument("--bundles", action="store_true", help="also export xcam bundles of the big models")
    ap.add_argument("--models", default="resnet18,densenet121",
                    help="big models to write (comma-separated; resnet50 too, for xcam bench compile)")
    a = ap.parse_args()
    if a.only != "big":
        for n in ("densenet-tiny", "resnet-tiny"):
            export(n, TINY_DIR)
    if a.only != "tiny":
        for n in a.models.split(","):
            model, chw = export(n, WORK_DIR)
            if a.bundles and n in ("resnet18", "resnet50", "densenet121"):
                bundle(n, model, chw)


if __name__ == "__main__":
    main()
