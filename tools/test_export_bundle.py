#!/usr/bin/env python3
"""Self-checks of tools/export_bundle.py (not run by CI, which has no Python): python3 tools/test_export_bundle.py

Each case exports a small model as written and checks what a user would see: the bundle and its invariants, or the
refusal and its reason."""
import os
import sys
import tempfile
import unittest

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_bundle import ExportError, export_bundle  # noqa: E402
from zoo import CxrDenseNet  # noqa: E402


class PostProcessed(nn.Module):
    """Not nn.Sequential, Python control flow, in-place ReLU after the cut, softmax in forward."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4))
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        if x.shape[-1] != 16:
            x = F.interpolate(x, size=(16, 16))
        f = self.body(x)
        out = F.relu(f, inplace=True)
        return torch.softmax(self.head(out.mean(dim=(2, 3))), dim=1)


class Shared(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.act = nn.ReLU()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(self.act(self.conv(self.act(x))).mean(dim=(2, 3)))


class ExportTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        torch.manual_seed(0)

    def out(self, name):
        return os.path.join(self.dir, name)

    def test_post_processing_in_forward_needs_the_output_kind(self):
        m = PostProcessed().eval()
        with self.assertRaisesRegex(ExportError, "outputs='probabilities'"):
            export_bundle(m, ["body"], self.out("a"), name="a", channels=1, height=16, width=16, onnx=False, quiet=True)
        self.assertFalse(os.path.exists(self.out("a")), "nothing is written when a check fails")
        man = export_bundle(m, ["body"], self.out("a"), name="a", channels=1, height=16, width=16, onnx=False, quiet=True,
                            outputs="probabilities")
        self.assertEqual(man["outputs"], "probabilities")
        head = torch.jit.load(os.path.join(self.out("a"), "layers", "body.head.pt"))
        a = head(torch.randn(1, 1, 16, 16))
        self.assertTrue(bool((a < 0).any()), "the head returns the pre-ReLU tensor (the in-place ReLU runs in the tail)")

    def test_skip_connection_is_refused_with_its_reason(self):
        m = torchvision.models.resnet18(num_classes=3).eval()
        with self.assertRaisesRegex(ExportError, r"'layer4\.0\.downsample' after it still needs a value computed before it"):
            export_bundle(m, ["layer4.0.conv1"], self.out("r"), name="r", height=32, width=32, onnx=False, quiet=True)
        export_bundle(m, ["layer4"], self.out("r"), name="r", height=32, width=32, onnx=False, quiet=True)

    def test_a_module_called_twice_is_refused(self):
        with self.assertRaisesRegex(ExportError, "called 2 times"):
            export_bundle(Shared().eval(), ["act"], self.out("s"), name="s", channels=1, height=8, width=8, onnx=False,
                          quiet=True)

    def test_unknown_layer_lists_module_paths(self):
        with self.assertRaisesRegex(ExportError, "unknown layer 'convv'.*conv"):
            export_bundle(Shared().eval(), ["convv"], self.out("u"), name="u", channels=1, height=8, width=8, onnx=False,
                          quiet=True)

    def test_cxr_library_model_as_written(self):
        m = CxrDenseNet(resolution=32, growth_rate=4, block_config=(2, 2), num_init_features=8, bn_size=2).eval()
        man = export_bundle(m, ["features.denseblock2", "features"], self.out("c"), name="c", task="multilabel",
                            channels=1, height=32, width=32, mean=[0.5], std=[1 / 2048], outputs="probabilities",
                            quiet=True)
        self.assertEqual(set(man["onnx"]), {"features.denseblock2", "features"})


if __name__ == "__main__":
    unittest.main()
