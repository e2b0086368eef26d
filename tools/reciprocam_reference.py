#!/usr/bin/env python3
"""Recipro-CAM reference maps for xcam's tests: an independent numpy implementation of OpenVINO XAI's algorithm.

    /usr/bin/python3 tools/reciprocam_reference.py     # -> plugins-perturbation/src/test/resources/reciprocam/

OpenVINO XAI (openvino_xai/methods/white_box/recipro_cam.py, ReciproCAM and ViTReciproCAM) inserts the method into
the model graph: the activation at the target layer is tiled h*w times and multiplied by a constant "mosaic" mask,
the copies go through the rest of the network as one batch, and the [h*w, num_classes] logits (taken before any
softmax) are transposed and reshaped to [num_classes, h, w]. This script builds the same mosaic with numpy, the way
that code builds its constant (the one-hot mask per position for CNNs; the 3x3 Gaussian [1 2 1; 2 4 2; 1 2 1] / 16
placed on an (h+2) x (w+2) padded grid and cropped, for use_gaussian=True), and runs the rest of the network with
the bundle's own TorchScript tail (layers/<L>.tail.pt): no xcam code is involved.

Model: the pytorch-grad-cam reference bundle phantom-small (shared/reference, copied into the tck). For each of its
six inputs, both layers (features.10: 48 x 16 x 16, features.14: 64 x 8 x 8) and both kernels it writes

    reciprocam/<layer>/<kernel>/<i>.npy     float32 [num_classes, h, w], the unscaled logits per position
    reciprocam/index.json                   what was run (torch version, files, the OpenVINO XAI commit read)

OpenVINO XAI then scales each class map to [0, 255] ((m - min) / (max - min + 1e-12) * 255); the tests compare the
unscaled maps with xcam's raw maps, and the scaled ones with its normalised maps.
"""
import json
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUNDLE = os.path.join(ROOT, "tck", "src", "main", "resources", "org", "xcam", "tck", "reference", "phantom-small")
OUT = os.path.join(ROOT, "plugins-perturbation", "src", "test", "resources", "reciprocam")
OPENVINO_XAI_COMMIT = "88f29ee"  # the commit of openvino_xai whose recipro_cam.py this follows


def mosaic_mask(c, h, w, gaussian):
    """The [h*w, c, h, w] constant OpenVINO XAI multiplies the tiled activation by."""
    order = np.arange(h * w).reshape(h, w)
    if not gaussian:
        mask = np.zeros((h * w, c, h, w), dtype=np.float32)
        for i in range(h):
            for j in range(w):
                mask[order[i, j], :, i, j] = 1.0
        return mask
    g = np.array([[1 / 16.0, 1 / 8.0, 1 / 16.0], [1 / 8.0, 1 / 4.0, 1 / 8.0], [1 / 16.0, 1 / 8.0, 1 / 16.0]])
    padded = np.zeros((h * w, h + 2, w + 2), dtype=np.float32)
    for i in range(h):
        for j in range(w):
            padded[order[i, j], i:i + 3, j:j + 3] = g
    spatial = padded[:, 1:-1, 1:-1]
    return np.repeat(spatial[:, None, :, :], c, axis=1)


def recipro_cam(head, tail, x, gaussian):
    with torch.no_grad():
        a = head(torch.from_numpy(x[None])).numpy()              # [1, c, h, w]
        _, c, h, w = a.shape
        mosaic = np.tile(a, (h * w, 1, 1, 1)) * mosaic_mask(c, h, w, gaussian)
        logits = tail(torch.from_numpy(mosaic.astype(np.float32))).numpy()   # [h*w, K]
    return logits.T.reshape(logits.shape[1], h, w).astype(np.float32)


def main():
    torch.set_num_threads(1)
    manifest = json.load(open(os.path.join(BUNDLE, "bundle", "xcam-model.json")))
    files = []
    for layer in manifest["layers"]:
        head = torch.jit.load(os.path.join(BUNDLE, "bundle", "layers", layer + ".head.pt")).eval()
        tail = torch.jit.load(os.path.join(BUNDLE, "bundle", "layers", layer + ".tail.pt")).eval()
        for kernel in ("onehot", "gaussian"):
            d = os.path.join(OUT, layer, kernel)
            os.makedirs(d, exist_ok=True)
            for i in range(6):
                x = np.load(os.path.join(BUNDLE, "inputs", "%d.npy" % i)).astype(np.float32)
                m = recipro_cam(head, tail, x, kernel == "gaussian")
                np.save(os.path.join(d, "%d.npy" % i), m)
                files.append("%s/%s/%d.npy" % (layer, kernel, i))
    json.dump({"model": "phantom-small (tck reference bundle)", "torch": torch.__version__,
               "algorithm": "OpenVINO XAI ReciproCAM (onehot) / ViTReciproCAM use_gaussian mask (gaussian), commit "
                            + OPENVINO_XAI_COMMIT + ", reimplemented in numpy; tail = layers/<L>.tail.pt",
               "layout": "[num_classes, h, w] float32, logits before any scaling", "files": files},
              open(os.path.join(OUT, "index.json"), "w"), indent=1)
    print("wrote %d maps to %s" % (len(files), OUT))


if __name__ == "__main__":
    main()
