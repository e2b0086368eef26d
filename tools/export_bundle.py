#!/usr/bin/env python3
"""Export a PyTorch image classifier (or regressor) as an xcam bundle (format ``xcam-bundle/1``).

Library use::

    from export_bundle import export_bundle
    export_bundle(model, ["features.10", "features.14"], "out/my-model",
                  name="my-model", task="multiclass", labels=["normal", "nodule"],
                  channels=1, height=64, width=64, mean=[0.5], std=[0.25])

Command use::

    python3 tools/export_bundle.py --module mypkg.models:build --weights w.pt \\
        --layers features.10 features.14 --out out/my-model --name my-model \\
        --task multiclass --labels normal nodule --channels 1 --height 64 --width 64 \\
        --mean 0.5 --std 0.25

What it writes (see docs/model-bundle.md)::

    out/xcam-model.json, model.pt, layers/<L>.head.pt, layers/<L>.tail.pt, model.onnx,
    reference/inputs/<i>.npy, reference/logits.json,
    reference/<L>.activation.npy, reference/<L>.gradient.npy

How layers are cut (any ``nn.Module``, no restructuring, no torch.fx): with forward hooks.

* head = the model run until the layer's module has produced its output, which is copied (so in-place operations
  later in ``forward`` cannot change what was captured) and returned; nothing after it runs;
* tail = the model with the layer's module replaced by one that returns the given activation (a copy: in-place
  operations after the cut, such as DenseNet's ``F.relu(features, inplace=True)``, modify the copy), running the
  rest of ``forward`` as written: Python control flow, post-processing (sigmoid, operating-point rescaling with
  boolean-mask indexing, ...) and all. The part of ``forward`` before the layer runs on a dummy input and is removed
  from the trace (``torch.jit.freeze`` drops what the output does not need).

Both are traced to TorchScript. A layer is refused, with the reason, when its module is not called exactly once,
returns something other than a tensor, or when the rest of the network also reads something computed before the
layer (a skip connection around it: found with autograd, naming the first module after the cut that reads it).
Cut at a block boundary instead (``layer4``, not ``layer4.0.conv1``).

Checks before anything is written (the export fails, leaving nothing behind, when one does not hold):

* ``tail(head(x)) == model(x)`` within ``rtol`` (default 1e-5, relative to the largest |output|) for every
  layer, on the traced TorchScript modules, at two batch sizes (the batch axis stays free);
* the traced ``model.pt`` equals the eager model within ``rtol``;
* ``model.onnx`` equals ``model.pt`` within 1e-4 (relative, as above) when onnxruntime is installed;
  without it that check is skipped with a warning (onnx 1.12 has no reference evaluator), and the ONNX
  tensor for each layer is found from the exporter's scope names and inferred shapes instead of values.

The bundle is written to a temporary sibling directory and renamed into place at the end.
"""
import argparse
import copy
import importlib
import json
import os
import shutil
import sys
import tempfile
import warnings

import numpy as np
import torch
import torch.nn as nn

FORMAT = "xcam-bundle/1"
TASKS = ("multiclass", "multilabel", "regression", "anatomy-detection")


class ExportError(Exception):
    """The model cannot be exported as asked; the message says why and what to do."""


# --------------------------------------------------------------------------------------------- cutting

def _no_inplace(model):
    m = copy.deepcopy(model).eval()
    for mod in m.modules():
        if hasattr(mod, "inplace") and isinstance(getattr(mod, "inplace"), bool):
            mod.inplace = False
    return m


class _Stop(BaseException):
    """Raised by the head's hook to stop ``forward`` once the layer has run (BaseException: a model's own
    ``except Exception`` cannot swallow it)."""

    def __init__(self, value):
        super().__init__()
        self.value = value


class _Head(nn.Module):
    """model(x) run until module ``layer`` has produced its output; returns a copy of that output."""

    def __init__(self, model, layer):
        super().__init__()
        self.model = model
        self.layer = layer

    def forward(self, x):
        def stop(module, inputs, output):
            raise _Stop(output.clone())

        handle = self.model.get_submodule(self.layer).register_forward_hook(stop)
        try:
            self.model(x)
        except _Stop as s:
            return s.value
        finally:
            handle.remove()
        raise ExportError("layer %r did not run in forward" % self.layer)


class _Inject(nn.Module):
    """Stands in for the layer's module in the tail: returns (a copy of) the activation given to the tail."""

    def __init__(self):
        super().__init__()
        self.value = None

    def forward(self, *args, **kwargs):
        return self.value.clone()


class _Tail(nn.Module):
    """The rest of model.forward after module ``layer``, with that module's output replaced by the activation.

    What ``forward`` computes before the layer runs on a zero input of the right shape; nothing of it reaches the
    output of a clean cut (checked), and freezing the trace removes it."""

    def __init__(self, model, layer, chw):
        super().__init__()
        self.model = copy.deepcopy(model)
        parent, _, name = layer.rpartition(".")
        self.inject = _Inject()
        setattr(self.model.get_submodule(parent) if parent else self.model, name, self.inject)
        self.chw = tuple(chw)

    def forward(self, activation):
        self.inject.value = activation
        try:
            return self.model(activation.new_zeros((activation.shape[0],) + self.chw))
        finally:
            self.inject.value = None


def _depends_on(t, x):
    """Whether tensor ``t`` was computed from leaf ``x`` (walks the autograd graph; no backward pass)."""
    if not isinstance(t, torch.Tensor) or t.grad_fn is None:
        return False
    seen, todo = set(), [t.grad_fn]
    while todo:
        f = todo.pop()
        if f is None or f in seen:
            continue
        seen.add(f)
        if getattr(f, "variable", None) is x:
            return True
        todo.extend(g for g, _ in f.next_functions)
    return False


def _check_cut(model, layer, x, chw):
    """Raises ExportError (with the reason) unless ``layer`` is a clean cut of ``model`` at input ``x``."""
    names = dict(model.named_modules())
    if layer not in names or layer == "":
        avail = [n for n in names if n][:40]
        raise ExportError("unknown layer %r; module paths in this model include: %s" % (layer, ", ".join(avail)))
    calls = []
    h = names[layer].register_forward_hook(lambda m, i, o: calls.append(o))
    try:
        with torch.no_grad():
            model(x)
    finally:
        h.remove()
    if len(calls) != 1:
        raise ExportError("layer %r is called %d times in forward; a cut point must run exactly once (a shared module "
                          "such as a ReLU used twice cannot be cut; choose the block that contains it)" % (layer, len(calls)))
    if not isinstance(calls[0], torch.Tensor):
        raise ExportError("layer %r returns %s, not a tensor; cut at a module that returns one tensor"
                          % (layer, type(calls[0]).__name__))
    # does anything after the cut read a value computed before it (a skip connection around the layer)?
    tail = _Tail(model, layer, chw).eval()
    xr = x[:1].clone().requires_grad_(True)
    with torch.no_grad():
        a = _Head(model, layer)(x[:1])
    tail.inject.value = None
    after, culprit = {"on": False}, []

    def mark(m, i, o):
        after["on"] = True

    def look(name):
        def pre(m, inputs):
            if after["on"] and not culprit and any(_depends_on(t, xr) for t in inputs):
                culprit.append(name)
        return pre

    hooks = [tail.inject.register_forward_hook(mark)]
    for n, m in tail.model.named_modules():
        if m is not tail.inject and n:
            hooks.append(m.register_forward_pre_hook(look(n)))
    try:
        tail.inject.value = a
        with torch.enable_grad():
            y = tail.model(xr)
    finally:
        tail.inject.value = None
        for hk in hooks:
            hk.remove()
    if _depends_on(y, xr):
        if culprit:
            raise ExportError("layer %r is not a cut point: %r after it still needs a value computed before it (a skip "
                              "connection?); choose a layer at a block boundary" % (layer, culprit[0]))
        raise ExportError("layer %r is not a cut point: the output still depends on values computed before it (a skip "
                          "connection?); choose a layer at a block boundary" % layer)


def split_model(model, layer, chw):
    """(head, tail) eager modules such that tail(head(x)) == model(x), for a module path ``layer`` and inputs
    [N, *chw]; raises ExportError when ``layer`` is not a clean cut."""
    x = torch.randn((2,) + tuple(chw), generator=torch.Generator().manual_seed(5))
    _check_cut(model, layer, x, chw)
    return _Head(model, layer).eval(), _Tail(model, layer, chw).eval()


def _trace(module, example):
    """Traces ``module`` and freezes it: submodule calls are inlined and what the output does not need (the tail's
    dummy pre-cut computation) is removed; numerics are kept (no conv/batch-norm folding)."""
    with torch.no_grad():
        traced = torch.jit.trace(module, example, check_trace=False)
    return torch.jit.freeze(traced.eval(), optimize_numerics=False)


def _eager_reference(model, layer, x0, target):
    """Activation at ``layer`` and d output[0, target] / d activation on the unmodified eager model, with hooks (as
    pytorch-grad-cam does, but with the activation replaced by a leaf copy, so an in-place op after the layer cannot
    change it): the independent reference for the traced cut and the engines."""
    box = {}

    def swap(m, i, o):
        box["a"] = o.detach().clone().requires_grad_(True)
        return box["a"].clone()

    h = model.get_submodule(layer).register_forward_hook(swap)
    try:
        with torch.enable_grad():
            y = model(x0)
            (g,) = torch.autograd.grad(y[0, target], box["a"])
    finally:
        h.remove()
    return box["a"].detach(), g.detach()


# --------------------------------------------------------------------------------------------- checks

def _rel(a, b):
    a = a.detach().double()
    b = b.detach().double()
    return float((a - b).abs().max() / max(float(b.abs().max()), 1e-12))


def _in_scope(node_name, layer):
    """Whether an ONNX node name from torch.onnx.export lies inside module ``layer``'s scope.

    torch 1.13 names nodes '/a/a.b/Op' or '/a/b/Op' (each level either the attribute name or the
    qualified name), e.g. '/features/features.10/Relu' and '/features/norm5/BatchNormalization'."""
    parts = layer.split(".")
    comps = node_name.split("/")[1:-1]
    if len(comps) < len(parts):
        return False
    return all(comps[k] in (parts[k], ".".join(parts[:k + 1])) for k in range(len(parts)))


def _onnx_layer_tensors(onnx_path, layers, acts, x, model_out, onnx_check, scope_only=False):
    """Map each layer to the ONNX tensor carrying its activation; returns (map, onnx-vs-torchscript rel err)."""
    import onnx
    from onnx import shape_inference

    m = onnx.load(onnx_path)
    inferred = shape_inference.infer_shapes(m)
    shapes = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
        dims = [d.dim_value if d.HasField("dim_value") else None for d in vi.type.tensor_type.shape.dim]
        shapes[vi.name] = dims
    producers = []  # (node name, output name) in graph order
    for node in m.graph.node:
        for o in node.output:
            producers.append((node.name, o))
    try:
        import onnxruntime as ort  # noqa: F401
        have_ort = not scope_only
    except ImportError:
        have_ort = False
    result, err = {}, None
    cands = {}
    for layer in layers:
        want = list(acts[layer].shape[1:])
        c = [o for (n, o) in producers if shapes.get(o) is not None and shapes[o][1:] == want]
        in_scope = [o for (n, o) in producers if _in_scope(n, layer) and o in c]
        cands[layer] = (c, in_scope)
    if have_ort:
        import onnxruntime as ort
        extra = sorted({o for c, _ in cands.values() for o in c})
        m2 = copy.deepcopy(m)
        known = {o.name for o in m2.graph.output}
        for o in extra:
            if o not in known:
                vi = onnx.helper.make_tensor_value_info(o, onnx.TensorProto.FLOAT, None)
                m2.graph.output.append(vi)
        sess = ort.InferenceSession(m2.SerializeToString(), providers=["CPUExecutionProvider"])
        names = [o.name for o in sess.get_outputs()]
        vals = dict(zip(names, sess.run(None, {sess.get_inputs()[0].name: x.numpy()})))
        err = _rel(torch.from_numpy(vals[m.graph.output[0].name]), model_out)
        if onnx_check and err > 1e-4:
            raise ExportError("model.onnx differs from model.pt by %.3g (relative) > 1e-4; the ONNX export is not "
                              "faithful (try another opset)" % err)
        for layer in layers:
            c, in_scope = cands[layer]
            ref = acts[layer]
            ok = [o for o in c if _rel(torch.from_numpy(vals[o]), ref) <= 1e-4]
            pref = [o for o in in_scope if o in ok]
            if pref:
                result[layer] = pref[-1]  # the module's last output carrying the activation
            elif ok:
                result[layer] = ok[0]  # earliest equal tensor (later ones, e.g. an identity-like BN, derive from it)
            else:
                warnings.warn("no ONNX tensor carries the activation of %r; the ONNX engine cannot cut there" % layer)
    else:
        warnings.warn("onnxruntime is not installed: model.onnx was not compared with model.pt, and ONNX layer tensors "
                      "were chosen by scope name and shape only")
        for layer in layers:
            c, in_scope = cands[layer]
            if in_scope:
                result[layer] = in_scope[-1]
            else:
                warnings.warn("no ONNX tensor of shape %s in the scope of %r; the ONNX engine cannot cut there"
                              % (list(acts[layer].shape[1:]), layer))
    return result, err


# --------------------------------------------------------------------------------------------- export

# --------------------------------------------------------------------------------------------- layouts

LAYOUT_KINDS = ("channels-first", "channels-last", "tokens")


def _prefix_tokens(model):
    """Prefix tokens a ViT-like model puts before its patch grid, from what it declares (timm's num_prefix_tokens,
    torchvision's class_token, cls/dist/register token parameters), or None when it declares nothing."""
    n = getattr(model, "num_prefix_tokens", None)
    if isinstance(n, int):
        return n
    count, found = 0, False
    for attr in ("class_token", "cls_token", "dist_token", "reg_token", "reg_tokens", "register_tokens"):
        t = getattr(model, attr, None)
        if isinstance(t, torch.Tensor):
            found = True
            count += int(t.shape[1]) if t.dim() == 3 else 1
    return count if found else None


def _grid(model):
    pe = getattr(model, "patch_embed", None)
    g = getattr(pe, "grid_size", None) if pe is not None else None
    if isinstance(g, (tuple, list)) and len(g) == 2:
        return int(g[0]), int(g[1])
    return None


def detect_layout(model, layer, act, chw):
    """The layout spec of a layer's activation ``act`` ([N, ...]) for the manifest's "layouts" (docs/model-bundle.md):
    ``tokens:P:HxW`` for [N, T, D] (P from the model's declared prefix tokens, else the one P in 0..4 leaving a
    square grid), ``channels-last`` for [N, h, w, C] maps whose first two axes have the input's aspect ratio (Swin,
    ConvNeXt stages), else ``channels-first``. Raises ExportError when tokens cannot be read; pass --layout."""
    s = list(act.shape[1:])
    _, height, width = chw
    if len(s) == 2:
        t = s[0]
        p = _prefix_tokens(model)
        g = _grid(model)
        if p is not None and g is not None and p + g[0] * g[1] == t:
            return "tokens:%d:%dx%d" % (p, g[0], g[1])
        for q in ([p] if p is not None else range(0, 5)):
            r = int(round((t - q) ** 0.5)) if t - q > 0 else 0
            if r >= 2 and r * r == t - q:
                return "tokens:%d:%dx%d" % (q, r, r)
        raise ExportError("layer %r returns tokens %s but no prefix count (0-4) leaves a square grid; state it: "
                          "--layout %s=tokens:P:HxW" % (layer, s, layer))
    if len(s) == 3:
        a, b, c = s
        last = a * width == b * height and a > 1 and height % a == 0 and width % b == 0
        first = b * width == c * height and height % b == 0 and width % c == 0
        if last and not first:
            return "channels-last"
    return "channels-first"


def _check_layout(layer, spec, act):
    s = list(act.shape[1:])
    kind = spec.split(":")[0]
    if kind not in LAYOUT_KINDS:
        raise ExportError("layout %r of layer %r: use one of %s (tokens:P:HxW)" % (spec, layer, ", ".join(LAYOUT_KINDS)))
    if kind == "tokens":
        parts = spec.split(":")
        if len(s) != 2 or len(parts) != 3 or "x" not in parts[2]:
            raise ExportError("layout %r of layer %r: tokens need an [N, T, D] output (it is %s) and the form "
                              "tokens:P:HxW" % (spec, layer, [None] + s))
        p = int(parts[1])
        gh, gw = (int(v) for v in parts[2].split("x"))
        if p + gh * gw != s[0]:
            raise ExportError("layout %r of layer %r: %d prefix + %dx%d grid is not its %d tokens" % (spec, layer, p, gh, gw, s[0]))
    elif kind == "channels-last" and len(s) != 3:
        raise ExportError("layout %r of layer %r: channels-last needs an [N, h, w, C] output (it is %s)" % (spec, layer, [None] + s))


def _grid_gradient_vanishes(spec, g):
    """True when a token layer's gradient is exactly zero on every grid token (the head reads only prefix tokens)."""
    if not spec.startswith("tokens:"):
        return False
    p = int(spec.split(":")[1])
    return p > 0 and float(g[:, p:, :].abs().max()) == 0.0


def export_bundle(model, layers, out_dir, name, task="multiclass", labels=None, channels=3, height=224, width=224,
                  mean=None, std=None, default_layer=None, reference_inputs=None, onnx=True, opset=13,
                  rtol=1e-5, onnx_check=True, overwrite=False, quiet=False, extra=None, outputs=None, layouts=None,
                  attention_blocks=True):
    """Export ``model`` with cuts at ``layers`` (module paths) as an xcam bundle in ``out_dir``.

    reference_inputs: normalised inputs [N, C, H, W] (numpy or torch) recorded under reference/ with their
    outputs, and (input 0) each layer's activation and gradient of the top output, and the input gradient; default:
    2 seeded N(0,1) tensors. outputs: "logits" or "probabilities" (the model applies sigmoid/softmax itself); when not
    given and every output lies in [0, 1] on the reference inputs, the export stops and asks. extra: further
    manifest fields (e.g. {"anatomy": {...}} for task anatomy-detection), written as given. layouts: {layer: spec}
    for layers whose layout detect_layout would not find (tokens:P:HxW, channels-last, channels-first); the others
    are detected and every layer's layout is written to the manifest's "layouts". When no default layer is given
    and the last layer is tokens whose grid gradient is exactly zero (a head that reads only the class token), the
    default is the last layer before it whose grid gradient is not (the input of the last block's first norm, as
    pytorch-grad-cam's ViT tutorial cuts), and the manifest's "defaultLayerReason" says so. attention_blocks: when
    the model computes attention probabilities [N, heads, T, T] (a softmax over the last axis), write attention.pt
    and the manifest's "attention" object (docs/model-bundle.md). Returns the manifest dict. Raises ExportError (nothing written) when a check fails.
    """
    if task == "anatomy-detection" and "anatomy" not in (extra or {}):
        raise ExportError("task anatomy-detection needs extra={'anatomy': {...}} (regions, pathologies, boxFormat); "
                          "see docs/model-bundle.md")
    if task not in TASKS:
        raise ExportError("task must be one of %s, not %r" % (", ".join(TASKS), task))
    if not layers:
        raise ExportError("give at least one layer (a module path such as 'features.10')")
    if len(set(layers)) != len(layers):
        raise ExportError("layers repeat: %s" % layers)
    layouts = dict(layouts or {})
    for L in layouts:
        if L not in layers:
            raise ExportError("layout given for %r, which is not among layers %s" % (L, layers))
    explicit_default = default_layer is not None
    default_layer = default_layer or layers[-1]
    if default_layer not in layers:
        raise ExportError("default layer %r is not among layers %s" % (default_layer, layers))
    mean = list(mean) if mean is not None else [0.0] * channels
    std = list(std) if std is not None else [1.0] * channels
    if len(mean) != channels or len(std) != channels:
        raise ExportError("mean and std need one value per channel (%d)" % channels)
    out_dir = os.path.abspath(out_dir)
    if os.path.exists(out_dir) and not overwrite:
        raise ExportError("%s exists; pass overwrite=True (--overwrite) to replace it" % out_dir)

    if outputs not in (None, "logits", "probabilities"):
        raise ExportError("outputs must be 'logits' or 'probabilities', not %r" % (outputs,))
    if outputs == "probabilities" and task in ("regression", "anatomy-detection"):
        raise ExportError("the outputs of a %s model are used as they are; drop outputs='probabilities'" % task)

    torch.manual_seed(0)
    original = copy.deepcopy(model).eval()   # the unmodified model: the independent reference gradients
    model = _no_inplace(model)
    for p in list(model.parameters()) + list(original.parameters()):
        p.requires_grad_(False)
    if reference_inputs is None:
        g = torch.Generator().manual_seed(1234)
        xr = torch.randn(2, channels, height, width, generator=g)
    else:
        xr = torch.as_tensor(np.asarray(reference_inputs), dtype=torch.float32)
    if xr.dim() != 4 or list(xr.shape[1:]) != [channels, height, width]:
        raise ExportError("reference inputs must be [N, %d, %d, %d], got %s" % (channels, height, width, list(xr.shape)))
    # check batch: reference inputs plus one more, so two batch sizes are exercised
    xb = torch.cat([xr, torch.randn(1, channels, height, width, generator=torch.Generator().manual_seed(99))])

    with torch.no_grad():
        y_eager = model(xb)
    if y_eager.dim() != 2:
        raise ExportError("the model must return [N, K], got shape %s" % list(y_eager.shape))
    k = y_eager.shape[1]
    if labels is None:
        labels = ["output%d" % i for i in range(k)]
    if len(labels) != k:
        raise ExportError("%d labels given but the model has %d outputs" % (len(labels), k))
    if outputs is None and task in ("multiclass", "multilabel"):
        if float(y_eager.min()) >= 0 and float(y_eager.max()) <= 1:
            raise ExportError("every output lies in [0, 1] on the reference inputs: if the model applies sigmoid or "
                              "softmax itself, pass outputs='probabilities' (--outputs probabilities), so that "
                              "--target all:P thresholds them directly; if they are logits, pass outputs='logits'")
        outputs = "logits"

    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="." + os.path.basename(out_dir) + ".tmp-", dir=parent)
    try:
        os.makedirs(os.path.join(tmp, "layers"))
        os.makedirs(os.path.join(tmp, "reference", "inputs"))
        with torch.no_grad():
            traced = torch.jit.trace(model, xr, check_trace=False)
        with torch.no_grad():
            y_ts = traced(xb)
        e = _rel(y_ts, y_eager)
        if e > rtol:
            raise ExportError("traced model.pt differs from the eager model by %.3g > %g; the model has data-dependent "
                              "control flow that tracing cannot capture" % (e, rtol))
        traced.save(os.path.join(tmp, "model.pt"))
        report = {"model.pt vs eager": e}
        acts = {}
        grads = {}
        top = int(y_ts[0].argmax())
        chw = (channels, height, width)
        for layer in layers:
            head, tail = split_model(model, layer, chw)
            with torch.no_grad():
                th = _trace(head, xr)
                a = th(xr)
                tt = _trace(tail, a)
                ab = th(xb)
                y2 = tt(ab)
            e = _rel(y2, y_ts)
            if e > rtol:
                raise ExportError("layer %r: tail(head(x)) differs from model(x) by %.3g (relative) > %g; this layer is "
                                  "not a clean cut point (the rest of forward depends on the input in a way the cut "
                                  "cannot carry)" % (layer, e, rtol))
            report["tail(head(x)) at " + layer] = e
            th.save(os.path.join(tmp, "layers", layer + ".head.pt"))
            tt.save(os.path.join(tmp, "layers", layer + ".tail.pt"))
            acts[layer] = ab.detach()
            # reference activation and gradient (input 0, top output): eager, on the unmodified model, with hooks;
            # the traced cut must reproduce them
            a_ref, g_ref = _eager_reference(original, layer, xr[:1], top)
            a0 = th(xr[:1]).detach().requires_grad_(True)
            (g,) = torch.autograd.grad(tt(a0)[0, top], a0)
            report["activation traced vs eager at " + layer] = _rel(a0.detach(), a_ref)
            report["gradient traced vs eager at " + layer] = eg = _rel(g, g_ref)
            if eg > 1e-4 and float(g_ref.abs().max()) > 0:
                raise ExportError("layer %r: the gradient through the traced head and tail differs from the eager "
                                  "model's by %.3g (relative) > 1e-4" % (layer, eg))
            if layer in layouts:
                _check_layout(layer, layouts[layer], a_ref)
            else:
                layouts[layer] = detect_layout(original, layer, a_ref, chw)
            grads[layer] = g_ref
            np.save(os.path.join(tmp, "reference", layer + ".activation.npy"), a_ref[0].numpy().astype(np.float32))
            np.save(os.path.join(tmp, "reference", layer + ".gradient.npy"), g_ref[0].numpy().astype(np.float32))
        # input gradient of the top output (eager, unmodified model) for input-gradient methods
        x0 = xr[:1].clone().requires_grad_(True)
        with torch.enable_grad():
            (gin,) = torch.autograd.grad(original(x0)[0, top], x0)
        np.save(os.path.join(tmp, "reference", "input.gradient.npy"), gin[0].numpy().astype(np.float32))

        default_reason = None
        if not explicit_default and _grid_gradient_vanishes(layouts[default_layer], grads[default_layer]):
            before = [L for L in layers[:layers.index(default_layer)] if not _grid_gradient_vanishes(layouts[L], grads[L])]
            if before:
                default_reason = ("the head reads only the prefix tokens: gradients at %s's grid tokens are exactly zero, "
                                  "so the default is %s (the input of the next block's first norm)" % (default_layer, before[-1]))
                default_layer = before[-1]
            else:
                warnings.warn("every layer's grid-token gradient is zero: gradient CAMs give zero maps; add an earlier "
                              "layer (the previous block's output)")

        onnx_map = {}
        if onnx:
            opath = os.path.join(tmp, "model.onnx")
            with torch.no_grad():
                torch.onnx.export(model, xr, opath, opset_version=max(13, opset), input_names=["input"],
                                  output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                                  do_constant_folding=True)
            onnx_map, oerr = _onnx_layer_tensors(opath, layers, acts, xb, y_ts, onnx_check)
            if oerr is not None:
                report["model.onnx vs model.pt"] = oerr

        attention = _attention(model, xr, y_ts[:xr.shape[0]], tmp, rtol) if attention_blocks else None
        for i in range(xr.shape[0]):
            np.save(os.path.join(tmp, "reference", "inputs", "%d.npy" % i), xr[i].numpy().astype(np.float32))
        logits = y_ts[:xr.shape[0]].tolist()
        with open(os.path.join(tmp, "reference", "logits.json"), "w") as fh:
            json.dump({"inputs": ["inputs/%d.npy" % i for i in range(xr.shape[0])], "logits": logits,
                       "predicted": [int(np.argmax(r)) for r in logits],
                       "gradients": {"input": 0, "target": "index of the largest output of input 0 (%d)" % top,
                                     "method": "eager model with forward hooks (the activation replaced by a leaf "
                                               "copy), torch.autograd.grad",
                                     "files": {L: [L + ".activation.npy", L + ".gradient.npy"] for L in layers},
                                     "inputGradient": "input.gradient.npy"},
                       "outputs": outputs,
                       "checks": report, "torch": torch.__version__}, fh, indent=1)

        manifest = {"format": FORMAT, "name": name, "task": task, "labels": list(labels),
                    "input": {"channels": channels, "height": height, "width": width, "mean": mean, "std": std},
                    "layers": list(layers), "defaultLayer": default_layer,
                    "layouts": {L: layouts[L] for L in layers}}
        if default_reason:
            manifest["defaultLayerReason"] = default_reason
        if outputs is not None:
            manifest["outputs"] = outputs   # classifiers only: regression and anatomy outputs are used as they are
        if onnx_map:
            manifest["onnx"] = onnx_map
        if attention:
            manifest["attention"] = attention
        for k2, v in (extra or {}).items():
            if k2 in manifest:
                raise ExportError("extra manifest field %r would replace a standard field" % k2)
            manifest[k2] = v
        with open(os.path.join(tmp, "xcam-model.json"), "w") as fh:
            json.dump(manifest, fh, indent=2)
        # into place
        if os.path.exists(out_dir):
            old = tempfile.mkdtemp(prefix="." + os.path.basename(out_dir) + ".old-", dir=parent)
            os.rmdir(old)
            os.rename(out_dir, old)
            os.rename(tmp, out_dir)
            shutil.rmtree(old)
        else:
            os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not quiet:
        for k2, v in report.items():
            print("check %-40s max rel diff %.3g" % (k2, v))
        print("wrote %s (%s)" % (out_dir, ", ".join(sorted(os.listdir(out_dir)))))
    return manifest


# --------------------------------------------------------------------------------------------- attention

class _SoftmaxTap:
    """Patches ``Tensor.softmax`` and ``torch.softmax`` (``F.softmax`` goes through the former) while active, and
    treats a call as an attention block's probabilities when it is over the last axis of a 4-D tensor
    ``[N, heads, T, T]`` whose batch axis is the input's (windowed attention, ``[N * windows, ...]``, is not).
    ``names``: record the innermost module running at each such call (eager pass with forward pre/post hooks);
    ``deltas``: add the k-th delta to the k-th such output (the traced attention module)."""

    def __init__(self, model, batch, deltas=None, names=False):
        self.model, self.batch, self.deltas, self.names = model, batch, deltas, names
        self.outputs, self.modules, self._stack, self._hooks = [], [], [], []

    def _take(self, t, dim, out):
        if t.dim() != 4 or dim not in (-1, 3) or t.shape[0] != self.batch or t.shape[2] != t.shape[3]:
            return out
        k = len(self.outputs)
        if self.deltas is not None:
            out = out + self.deltas[k]
        self.outputs.append(out)
        if self.names:
            self.modules.append(self._stack[-1] if self._stack else "")
        return out

    def __enter__(self):
        self._tensor_softmax, self._torch_softmax = torch.Tensor.softmax, torch.softmax
        tap, ts, fs = self, self._tensor_softmax, self._torch_softmax

        def tensor_softmax(t, dim=None, *args, **kwargs):
            return tap._take(t, dim, ts(t, dim, *args, **kwargs))

        def torch_softmax(t, dim=None, *args, **kwargs):
            return tap._take(t, dim, fs(t, dim, *args, **kwargs))

        torch.Tensor.softmax, torch.softmax = tensor_softmax, torch_softmax
        if self.names:
            def push(n):
                def pre(mod, inp):
                    self._stack.append(n)
                return pre

            def pop(mod, inp, out):
                self._stack.pop()   # returns None: the output is kept

            for name, m in self.model.named_modules():
                self._hooks.append(m.register_forward_pre_hook(push(name)))
                self._hooks.append(m.register_forward_hook(pop))
        return self

    def __exit__(self, *exc):
        torch.Tensor.softmax, torch.softmax = self._tensor_softmax, self._torch_softmax
        for h in self._hooks:
            h.remove()
        return False


class _AttentionModule(nn.Module):
    """forward(x, d_0, ..., d_{L-1}) -> (y, p_0, ..., p_{L-1}): the model with d_k added to block k's attention
    probabilities (zeros: unchanged), returning them; the gradient with respect to d_k is the gradient with respect
    to the probabilities."""

    def __init__(self, model, blocks):
        super().__init__()
        self.model, self.blocks = model, blocks

    def forward(self, x, *deltas):
        with _SoftmaxTap(self.model, x.shape[0], deltas=list(deltas)) as tap:
            y = self.model(x)
        if len(tap.outputs) != self.blocks:
            raise ExportError("the model's attention blocks changed between two runs (%d, then %d)" % (self.blocks, len(tap.outputs)))
        return (y,) + tuple(tap.outputs)


def _attention(model, xr, y_ref, out_dir, rtol):
    """Finds the attention blocks (names: the innermost module computing them, e.g. ``blocks.3.attn``) and writes
    ``attention.pt``; returns the manifest's ``attention`` object, or None when the model has none."""
    with torch.no_grad(), _SoftmaxTap(model, xr.shape[0], names=True) as tap:
        model(xr)
    if not tap.outputs:
        return None
    names, seen = [], {}
    for n in tap.modules:
        seen[n] = seen.get(n, 0) + 1
        names.append(n if seen[n] == 1 else "%s#%d" % (n, seen[n] - 1))
    probs = [p.detach().clone() for p in tap.outputs]
    zeros = tuple(torch.zeros_like(p) for p in probs)
    wrapper = _AttentionModule(model, len(probs)).eval()
    with torch.no_grad():
        traced = torch.jit.trace(wrapper, (xr,) + zeros, check_trace=False)
        r = traced(xr, *zeros)
    e = max([_rel(r[0], y_ref)] + [_rel(a, b) for a, b in zip(r[1:], probs)])
    if e > rtol:
        raise ExportError("attention.pt differs from the eager model by %.3g > %g" % (e, rtol))
    traced.save(os.path.join(out_dir, "attention.pt"))
    return {"module": "attention.pt",
            "layers": [{"name": n, "kind": "attention", "shape": list(p.shape[1:])} for n, p in zip(names, probs)]}


# --------------------------------------------------------------------------------------------- command

def _load_model(spec, weights):
    if ":" not in spec:
        raise ExportError("--module takes 'package.module:function' (a function returning the nn.Module)")
    mod, fn = spec.split(":", 1)
    sys.path.insert(0, os.getcwd())
    m = getattr(importlib.import_module(mod), fn)()
    if weights:
        sd = torch.load(weights, map_location="cpu")
        if isinstance(sd, nn.Module):
            sd = sd.state_dict()
        m.load_state_dict(sd)
    return m.eval()


def main(argv=None):
    ap = argparse.ArgumentParser(description="Export a PyTorch model as an xcam bundle (docs/model-bundle.md).",
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="example:\n  python3 tools/export_bundle.py --module torchvision.models:densenet121 "
                                        "--weights nih.pt --layers features.denseblock4 features.norm5 --out densenet-nih "
                                        "--name densenet-nih --task multilabel --labels-file labels.txt --channels 3 "
                                        "--height 224 --width 224 --mean 0.485 0.456 0.406 --std 0.229 0.224 0.225")
    ap.add_argument("--module", required=True, help="'package.module:function' returning the nn.Module "
                                                    "(or a whole pickled model file with --weights only)")
    ap.add_argument("--weights", help="state_dict (or whole module) saved with torch.save")
    ap.add_argument("--layers", nargs="+", required=True, help="module paths to cut at, e.g. features.10")
    ap.add_argument("--default-layer")
    ap.add_argument("--layout", action="append", default=[], metavar="LAYER=SPEC",
                    help="a layer's activation layout when detection cannot tell: tokens:P:HxW (P prefix tokens, then "
                         "an HxW grid), channels-last or channels-first (repeatable)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--task", choices=TASKS, default="multiclass")
    ap.add_argument("--labels", nargs="+")
    ap.add_argument("--labels-file", help="one label per line")
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--height", type=int, default=224)
    ap.add_argument("--width", type=int, default=224)
    ap.add_argument("--mean", type=float, nargs="+")
    ap.add_argument("--std", type=float, nargs="+")
    ap.add_argument("--inputs", nargs="*", help="reference inputs: .npy files [C,H,W] or [N,C,H,W], normalised")
    ap.add_argument("--no-onnx", action="store_true")
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--overwrite", action="store_true")
    ap.add_argument("--extra", help="JSON file with further manifest fields, e.g. {\"anatomy\": {...}}")
    ap.add_argument("--outputs", choices=("logits", "probabilities"),
                    help="what the outputs are; required when they all lie in [0, 1] (the model applies sigmoid/softmax)")
    a = ap.parse_args(argv)
    try:
        labels = a.labels
        if a.labels_file:
            with open(a.labels_file) as fh:
                labels = [line.strip() for line in fh if line.strip()]
        model = _load_model(a.module, a.weights)
        ref = None
        if a.inputs:
            arrs = [np.load(f).astype(np.float32) for f in a.inputs]
            ref = np.concatenate([x[None] if x.ndim == 3 else x for x in arrs])
        layouts = {}
        for spec in a.layout:
            if "=" not in spec:
                raise ExportError("--layout takes LAYER=SPEC, e.g. blocks.3=tokens:1:14x14")
            L, v = spec.split("=", 1)
            layouts[L] = v
        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
        export_bundle(model, a.layers, a.out, name=a.name, task=a.task, labels=labels, channels=a.channels,
                      height=a.height, width=a.width, mean=a.mean, std=a.std, default_layer=a.default_layer,
                      reference_inputs=ref, onnx=not a.no_onnx, opset=a.opset, overwrite=a.overwrite,
                      extra=json.load(open(a.extra)) if a.extra else None, outputs=a.outputs, layouts=layouts)
    except ExportError as e:
        print("export_bundle: error: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
