"""Seeded phantom chest X-rays with lesion and anatomy boxes.

This module is mirrored line by line in Java by ``org.xcam.runtime.phantom.PhantomGenerator``;
a change here must be made there too (the test ``PhantomGeneratorTest`` compares both through
``runtime/src/test/resources/phantom/python-geometry.json``, written by ``tools/phantom/dump_geometry.py``).

Determinism contract (why Java and Python agree bit for bit):

* Random numbers come from SplitMix64 (Steele, Lea, Flood 2014), implemented with explicit
  64-bit wrap-around in both languages. ``next_double`` is ``(z >>> 11) * 2**-53``.
* Geometry is drawn from one sequential stream seeded with ``mix64(seed)``; pixel noise comes
  from a counter-based stream (value k = mix64(noise_seed + (k + 1) * GAMMA)), so noise does not
  shift the geometry draws.
* Every pixel value is computed in float64 with only +, -, *, /, sqrt, abs, min, max and floor
  (all correctly rounded / exact in IEEE 754) in the same evaluation order as the Java code; no
  exp/log/sin, no reductions. The final float32 cast rounds to nearest in both languages.
* Boxes are integer pixel boxes ``[x0, y0, x1, y1]`` with x1, y1 exclusive: lungs and heart from
  their integer ellipse parameters, lesions as the bounding box of the pixels the lesion changes.

Conventions: image coordinates, x to the right, y down, pixel (row i, column j) has its centre at
(j + 0.5, i + 0.5). As on a PA radiograph, the patient's right is the image's left: the "right
lung" is the lung field on the image's left half; the heart sits slightly to the image's right.

API::

    from phantom import generate, KINDS
    p = generate(seed=7, size=64, kind=None)   # kind None: drawn from the seed
    p["image"]   # float32 [size, size] in [0, 1]
    p["label"], p["label_index"]               # one of KINDS
    p["lesions"] # [{"type": "nodule", "box": [x0, y0, x1, y1]}], empty for normal
    p["zones"]   # {"right-upper-lung": [..], ..., "heart": [..]}
"""

import math

import numpy as np

KINDS = ["normal", "nodule", "mass", "effusion", "consolidation", "cardiomegaly"]
ZONES = ["right-upper-lung", "right-middle-lung", "right-lower-lung",
         "left-upper-lung", "left-middle-lung", "left-lower-lung", "heart"]

MASK = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15
C1 = 0xBF58476D1CE4E5B9
C2 = 0x94D049BB133111EB
EDGE = 1.5  # soft edge width in pixels at size 64 (scaled with size)


def mix64(z):
    z &= MASK
    z = ((z ^ (z >> 30)) * C1) & MASK
    z = ((z ^ (z >> 27)) * C2) & MASK
    return z ^ (z >> 31)


class SplitMix64:
    """Sequential SplitMix64; identical to org.xcam.runtime.phantom.SplitMix64."""

    def __init__(self, seed):
        self.state = mix64(seed & MASK)

    def next_long(self):
        self.state = (self.state + GAMMA) & MASK
        return mix64(self.state)

    def next_double(self):
        return (self.next_long() >> 11) * (1.0 / (1 << 53))

    def next_int(self, n):
        """Uniform in [0, n)."""
        return int(math.floor(self.next_double() * n))

    def uniform(self, a, b):
        return a + (b - a) * self.next_double()


def counter_doubles(seed, start, count):
    """Values start..start+count-1 of the counter stream: (mix64(seed + (k+1)*GAMMA) >>> 11) * 2**-53."""
    k = np.arange(start + 1, start + count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(seed & MASK) + k * np.uint64(GAMMA)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(C1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(C2)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def _smooth(t):
    t = np.minimum(np.maximum(t, 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def _ellipse(X, Y, cx, cy, rx, ry, edge):
    """Soft ellipse: 1 inside, smooth fall-off over ~edge pixels, 0 outside (d >= 1)."""
    dx = (X - cx) / rx
    dy = (Y - cy) / ry
    d = np.sqrt(dx * dx + dy * dy)
    return _smooth((1.0 - d) * (min(rx, ry) / edge))


def _inside(px, py, cx, cy, rx, ry):
    dx = (px - cx) / rx
    dy = (py - cy) / ry
    return dx * dx + dy * dy <= 1.0


def _mask_box(alpha):
    ys, xs = np.nonzero(alpha > 0.0)
    if len(xs) == 0:
        return [0, 0, 0, 0]
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


def _pick_center(rng, lung, heart, r):
    """A point whose disc of radius r lies in the lung and whose centre is off the heart."""
    cx, cy, rx, ry = lung
    hx, hy, hrx, hry = heart
    ix = max(rx - r, 1)
    iy = max(ry - r, 1)
    for _ in range(64):
        px = cx - ix + rng.next_int(2 * ix + 1)
        py = cy - iy + rng.next_int(2 * iy + 1)
        if _inside(px, py, cx, cy, ix, iy) and not _inside(px, py, hx, hy, hrx + r, hry + r):
            return px, py
    return cx, cy


def generate(seed, size=64, kind=None, ribs=True):
    """One phantom. Deterministic in (seed, size, kind, ribs); see the module docstring."""
    S = int(size)
    if S < 16:
        raise ValueError("size must be at least 16, got %d" % S)
    rng = SplitMix64(int(seed))
    kind_index = rng.next_int(len(KINDS))
    if kind is not None:
        if kind not in KINDS:
            raise ValueError("unknown phantom kind %r; available: %s" % (kind, ", ".join(KINDS)))
        kind_index = KINDS.index(kind)
    kind = KINDS[kind_index]
    sc = S / 64.0
    edge = EDGE * sc

    X = np.arange(S, dtype=np.float64)[None, :] + 0.5
    Y = np.arange(S, dtype=np.float64)[:, None] + 0.5
    X = np.broadcast_to(X, (S, S))
    Y = np.broadcast_to(Y, (S, S))

    # --- geometry (sequential stream; order matters) ---
    shift = rng.next_int(2 * (S // 32) + 1) - S // 32
    lungs = []
    for side in range(2):  # 0 = patient right = image left, 1 = patient left = image right
        base = S * 300 // 1000 if side == 0 else S - S * 300 // 1000
        cx = base + rng.next_int(2 * (S // 32) + 1) - S // 32
        cy = S * 470 // 1000 + shift
        rx = int(math.floor(S * rng.uniform(0.14, 0.17)))
        ry = int(math.floor(S * rng.uniform(0.27, 0.31)))
        lungs.append((cx, cy, rx, ry))
    big = kind == "cardiomegaly"
    hx = S * 530 // 1000 + rng.next_int(2 * (S // 32) + 1) - S // 32
    hy = S * 640 // 1000 + shift
    hrx = int(math.floor(S * (rng.uniform(0.21, 0.25) if big else rng.uniform(0.12, 0.15))))
    hry = int(math.floor(S * (rng.uniform(0.15, 0.18) if big else rng.uniform(0.11, 0.13))))
    heart = (hx, hy, hrx, hry)
    rib_phase = rng.next_double()
    rib_slope = rng.uniform(0.25, 0.45)
    lung_level = rng.uniform(0.14, 0.22)
    tissue_level = rng.uniform(0.45, 0.55)
    heart_level = rng.uniform(0.68, 0.78)
    side = rng.next_int(2)
    lesion_geom = None
    if kind == "nodule" or kind == "mass":
        if kind == "nodule":
            r = max(2, int(math.floor(S * rng.uniform(0.035, 0.055))))
            rx2, ry2 = r, r
        else:
            rx2 = int(math.floor(S * rng.uniform(0.08, 0.12)))
            ry2 = int(math.floor(S * rng.uniform(0.08, 0.12)))
        px, py = _pick_center(rng, lungs[side], heart, max(rx2, ry2))
        gain = rng.uniform(0.3, 0.4)
        lesion_geom = (px, py, rx2, ry2, gain)
    elif kind == "effusion":
        frac = rng.uniform(0.25, 0.4)
        gain = rng.uniform(0.55, 0.65)
        lesion_geom = (frac, gain)
    elif kind == "consolidation":
        r0 = int(math.floor(S * 0.07))
        px, py = _pick_center(rng, lungs[side], heart, r0)
        blobs = []
        nb = 3 + rng.next_int(3)
        for _ in range(nb):
            bx = px + rng.next_int(2 * r0 + 1) - r0
            by = py + rng.next_int(2 * r0 + 1) - r0
            br = max(2, int(math.floor(S * rng.uniform(0.05, 0.08))))
            blobs.append((bx, by, br))
        gain = rng.uniform(0.22, 0.3)
        lesion_geom = (blobs, gain)
    contrast = rng.uniform(0.9, 1.1)
    offset = rng.uniform(-0.04, 0.04)
    sigma = rng.uniform(0.03, 0.05)
    noise_seed = rng.next_long()

    # --- rendering (float64, fixed evaluation order) ---
    v = np.full((S, S), 0.06, dtype=np.float64)
    thorax = _ellipse(X, Y, S // 2, S * 520 // 1000 + shift, S * 470 // 1000, S * 500 // 1000, 2.0 * edge)
    v = v + (tissue_level - v) * thorax
    lung_alpha = []
    for (cx, cy, rx, ry) in lungs:
        a = _ellipse(X, Y, cx, cy, rx, ry, edge)
        lung_alpha.append(a)
        v = v + (lung_level - v) * a
    if ribs:
        spacing = S * 0.11
        thick = 1.3 * sc
        for si in range(2):
            cx, cy, rx, ry = lungs[si]
            a = lung_alpha[si]
            for k in range(6):
                yk = (cy - ry) + (k + rib_phase) * spacing
                yc = yk + rib_slope * np.abs(X - cx)
                t = _smooth((thick - np.abs(Y - yc)) / thick)
                v = v + 0.09 * t * a
    heart_alpha = _ellipse(X, Y, hx, hy, hrx, hry, edge)
    v = v + (heart_level - v) * heart_alpha

    lesions = []
    if kind == "nodule" or kind == "mass":
        px, py, rx2, ry2, gain = lesion_geom
        a = _ellipse(X, Y, px, py, rx2, ry2, edge)
        v = v + gain * a
        lesions.append({"type": kind, "box": _mask_box(a)})
    elif kind == "effusion":
        frac, gain = lesion_geom
        cx, cy, rx, ry = lungs[side]
        top = (cy + ry) - frac * (2 * ry)
        lat = (cx - X) / rx if side == 0 else (X - cx) / rx
        lat = np.minimum(np.maximum(lat, 0.0), 1.0)
        line = top - (0.5 * frac * (2 * ry)) * lat
        a = _smooth((Y - line) / edge) * lung_alpha[side]
        v = v + (gain - v) * a
        lesions.append({"type": kind, "box": _mask_box(a)})
    elif kind == "consolidation":
        blobs, gain = lesion_geom
        u = np.zeros((S, S), dtype=np.float64)
        for (bx, by, br) in blobs:
            u = np.maximum(u, _ellipse(X, Y, bx, by, br, br, edge))
        a = u * lung_alpha[side]
        patch = counter_doubles(noise_seed, 4 * S * S, S * S).reshape(S, S)
        v = v + gain * a * (0.5 + 0.5 * patch)
        lesions.append({"type": kind, "box": _mask_box(a)})
    elif kind == "cardiomegaly":
        lesions.append({"type": kind, "box": [hx - hrx, hy - hry, hx + hrx, hy + hry]})

    v = v * contrast + offset
    u4 = counter_doubles(noise_seed, 0, 4 * S * S).reshape(S * S, 4)
    n = (u4[:, 0] + u4[:, 1] + u4[:, 2] + u4[:, 3] - 2.0).reshape(S, S)
    v = v + sigma * n
    v = np.minimum(np.maximum(v, 0.0), 1.0)

    zones = {}
    for si, name in ((0, "right"), (1, "left")):
        cx, cy, rx, ry = lungs[si]
        y0, h = cy - ry, 2 * ry
        for k, part in enumerate(("upper", "middle", "lower")):
            zones["%s-%s-lung" % (name, part)] = [cx - rx, y0 + h * k // 3, cx + rx, y0 + h * (k + 1) // 3]
    zones["heart"] = [max(hx - hrx, 0), max(hy - hry, 0), min(hx + hrx, S), min(hy + hry, S)]

    return {
        "image": v.astype(np.float32),
        "label": kind,
        "label_index": kind_index,
        "lesions": lesions,
        "zones": zones,
        "seed": int(seed),
        "size": S,
    }


def batch(seeds, size=64, kind=None, ribs=True):
    """Images [N, 1, S, S] float32 and label indices [N] for the given seeds."""
    ps = [generate(s, size, kind, ribs) for s in seeds]
    x = np.stack([p["image"][None] for p in ps])
    y = np.array([p["label_index"] for p in ps], dtype=np.int64)
    return x, y, ps


if __name__ == "__main__":
    import argparse
    import json

    ap = argparse.ArgumentParser(description="Write phantom chest X-rays as PNG plus their boxes as JSON.")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--count", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0, help="first seed")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--kind", choices=KINDS, default=None)
    a = ap.parse_args()
    import os
    from PIL import Image

    os.makedirs(a.out, exist_ok=True)
    meta = []
    for s in range(a.seed, a.seed + a.count):
        p = generate(s, a.size, a.kind)
        f = "phantom-%d-%s.png" % (s, p["label"])
        Image.fromarray(np.round(p["image"] * 255.0).astype(np.uint8), mode="L").save(os.path.join(a.out, f))
        meta.append({"file": f, "seed": s, "label": p["label"], "lesions": p["lesions"], "zones": p["zones"]})
    with open(os.path.join(a.out, "samples.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
