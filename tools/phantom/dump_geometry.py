"""Writes what the Python phantom generator produces for fixed seeds, for the Java mirror's test.

    /usr/bin/python3 tools/phantom/dump_geometry.py

Writes runtime/src/test/resources/phantom/python-geometry.json (label, lesion boxes, zone boxes,
pixel sum and sum of squares for each case) and a few full images as .npy next to it. The Java
test org.xcam.runtime.phantom.PhantomGeneratorTest compares org.xcam.runtime.phantom.PhantomGenerator
against them.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import phantom  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "runtime", "src", "test", "resources", "phantom")


def cases():
    for s in range(60):
        yield dict(seed=s, size=64, kind=None, ribs=True)
    for s in range(12):
        yield dict(seed=1000 + s, size=128, kind=None, ribs=True)
    for k in phantom.KINDS:
        yield dict(seed=-7, size=64, kind=k, ribs=False)
        yield dict(seed=2 ** 62 + 5, size=96, kind=k, ribs=True)
    yield dict(seed=123, size=16, kind="nodule", ribs=True)
    yield dict(seed=77, size=224, kind="consolidation", ribs=True)


IMAGES = {0, 1, 3, 60}  # case indices whose full image is stored


def main():
    os.makedirs(OUT, exist_ok=True)
    out = []
    for i, c in enumerate(cases()):
        p = phantom.generate(c["seed"], c["size"], c["kind"], c["ribs"])
        img = p["image"].astype(np.float64)
        e = dict(c)
        e.update(label=p["label"], label_index=p["label_index"], lesions=p["lesions"], zones=p["zones"],
                 pixel_sum=float(img.sum()), pixel_sumsq=float((img * img).sum()))
        if i in IMAGES:
            f = "case-%d.npy" % i
            np.save(os.path.join(OUT, f), p["image"])
            e["image"] = f
        out.append(e)
    with open(os.path.join(OUT, "python-geometry.json"), "w") as fh:
        json.dump({"generator": "tools/phantom/phantom.py", "kinds": phantom.KINDS, "zones": phantom.ZONES,
                   "cases": out}, fh, indent=1)
    print("wrote %d cases to %s" % (len(out), OUT))


if __name__ == "__main__":
    main()
