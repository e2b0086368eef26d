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

How layers are cut:

* Sequential-style models (every module on the layer's path is an ``nn.Sequential``, like
  ``Sequential(features=Sequential(...), pool, flatten, classifier)``): head = the modules up to and
  including the layer, tail = the rest.
* Anything else: ``torch.fx`` symbolic tracing with the layer's module kept as a leaf; head = the graph
  up to the layer's output, tail = the rest with the activation as its only input. This fails, naming
  the reason, when the model cannot be traced by fx (data-dependent control flow) or when the rest of
  the network also needs something other than the layer's output (e.g. a layer inside a residual block:
  the skip connection). Cut at a block boundary instead.
* In-place operations (``nn.ReLU(inplace=True)``, ``F.relu(x, inplace=True)``) are switched off in the
  exported copy: an in-place op after the cut would modify the activation that the tail and the
  gradient need (torchvision's DenseNet applies an in-place ReLU after ``features.norm5``).

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


def _is_sequential_path(model, path):
    mod = model
    for part in path:
        if not isinstance(mod, nn.Sequential):
            return False
        names = [n for n, _ in mod.named_children()]
        if part not in names:
            return False
        mod = getattr(mod, part)
    return True


def _split_sequential(mod, path):
    names = [n for n, _ in mod.named_children()]
    children = list(mod.children())
    i = names.index(path[0])
    if len(path) == 1:
        head, tail = children[:i + 1], children[i + 1:]
    else:
        h, t = _split_sequential(children[i], path[1:])
        head, tail = children[:i] + [h], [t] + children[i + 1:]
    return nn.Sequential(*head), nn.Sequential(*tail)


def _split_fx(model, layer):
    import torch.fx as fx

    class Tracer(fx.Tracer):
        def is_leaf_module(self, m, qualname):
            return qualname == layer or super().is_leaf_module(m, qualname)

    try:
        graph = Tracer().trace(model)
    except Exception as e:  # noqa: BLE001
        raise ExportError("layer %r: the model is not nn.Sequential along that path and torch.fx cannot trace it (%s); "
                          "wrap the model so the layer sits in an nn.Sequential, or pass a layer fx can reach"
                          % (layer, str(e).splitlines()[0] if str(e) else type(e).__name__))
    for n in graph.nodes:
        if "inplace" in n.kwargs:
            kw = dict(n.kwargs)
            kw["inplace"] = False
            n.kwargs = kw
    cut = [n for n in graph.nodes if n.op == "call_module" and n.target == layer]
    if len(cut) != 1:
        raise ExportError("layer %r is called %d times in the traced model; a cut point must be called exactly once"
                          % (layer, len(cut)))
    cut = cut[0]
    order = list(graph.nodes)
    pos = {n: i for i, n in enumerate(order)}
    # head: everything the cut node depends on
    head_g = fx.Graph()
    env = {}
    for n in order[:pos[cut] + 1]:
        env[n] = head_g.node_copy(n, lambda a: env[a])
    head_g.output(env[cut])
    # tail: everything after the cut; it may use only the cut node (and constants / attributes)
    tail_g = fx.Graph()
    env2 = {}
    env2[cut] = tail_g.placeholder("activation")
    before = set(order[:pos[cut]])
    for n in order[pos[cut] + 1:]:
        for a in n.all_input_nodes:
            if a in before and a.op not in ("get_attr",):
                raise ExportError("layer %r is not a cut point: %r after it still needs %r from before it (a skip "
                                  "connection?); choose a layer at a block boundary" % (layer, n.name, a.name))
            if a in before and a not in env2:
                env2[a] = tail_g.node_copy(a, lambda b: env2[b])
        if n.op == "output":
            tail_g.output(env2[n.args[0]] if isinstance(n.args[0], fx.Node) else n.args[0])
        else:
            env2[n] = tail_g.node_copy(n, lambda b: env2[b])
    head = fx.GraphModule(model, head_g)
    tail = fx.GraphModule(model, tail_g)
    head.graph.eliminate_dead_code()
    tail.graph.eliminate_dead_code()
    head.recompile()
    tail.recompile()
    return head, tail


def split_model(model, layer):
    """(head, tail) eager modules such that tail(head(x)) == model(x), for a module path ``layer``."""
    path = layer.split(".")
    names = dict(model.named_modules())
    if layer not in names or layer == "":
        avail = [n for n in names if n][:40]
        raise ExportError("unknown layer %r; module paths in this model include: %s" % (layer, ", ".join(avail)))
    if _is_sequential_path(model, path):
        return _split_sequential(model, path)
    return _split_fx(model, layer)


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

def export_bundle(model, layers, out_dir, name, task="multiclass", labels=None, channels=3, height=224, width=224,
                  mean=None, std=None, default_layer=None, reference_inputs=None, onnx=True, opset=13,
                  rtol=1e-5, onnx_check=True, overwrite=False, quiet=False, extra=None):
    """Export ``model`` with cuts at ``layers`` (module paths) as an xcam bundle in ``out_dir``.

    reference_inputs: normalised inputs [N, C, H, W] (numpy or torch) recorded under reference/ with their
    logits, and (input 0) each layer's activation and gradient of the top logit; default: 2 seeded N(0,1)
    tensors. extra: further manifest fields (e.g. {"anatomy": {...}} for task anatomy-detection), written
    as given. Returns the manifest dict. Raises ExportError (nothing written) when a check fails.
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

    torch.manual_seed(0)
    model = _no_inplace(model)
    for p in model.parameters():
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
        for layer in layers:
            head, tail = split_model(model, layer)
            head.eval()
            tail.eval()
            with torch.no_grad():
                a = head(xr)
                th = torch.jit.trace(head, xr, check_trace=False)
                tt = torch.jit.trace(tail, a, check_trace=False)
                ab = th(xb)
                y2 = tt(ab)
            e = _rel(y2, y_ts)
            if e > rtol:
                raise ExportError("layer %r: tail(head(x)) differs from model(x) by %.3g (relative) > %g; this layer is "
                                  "not a clean cut point" % (layer, e, rtol))
            report["tail(head(x)) at " + layer] = e
            th.save(os.path.join(tmp, "layers", layer + ".head.pt"))
            tt.save(os.path.join(tmp, "layers", layer + ".tail.pt"))
            acts[layer] = ab.detach()
            # reference activation and gradient (input 0, top logit), through the traced cut
            a0 = th(xr[:1]).detach().requires_grad_(True)
            out0 = tt(a0)[0]
            top = int(y_ts[0].argmax())
            (g,) = torch.autograd.grad(out0[top], a0)
            np.save(os.path.join(tmp, "reference", layer + ".activation.npy"), a0.detach()[0].numpy().astype(np.float32))
            np.save(os.path.join(tmp, "reference", layer + ".gradient.npy"), g[0].numpy().astype(np.float32))

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

        for i in range(xr.shape[0]):
            np.save(os.path.join(tmp, "reference", "inputs", "%d.npy" % i), xr[i].numpy().astype(np.float32))
        logits = y_ts[:xr.shape[0]].tolist()
        with open(os.path.join(tmp, "reference", "logits.json"), "w") as fh:
            json.dump({"inputs": ["inputs/%d.npy" % i for i in range(xr.shape[0])], "logits": logits,
                       "predicted": [int(np.argmax(r)) for r in logits],
                       "gradients": {"input": 0, "target": "index of the largest output of input 0 (%d)"
                                     % int(np.argmax(logits[0])),
                                     "files": {L: [L + ".activation.npy", L + ".gradient.npy"] for L in layers}},
                       "checks": report, "torch": torch.__version__}, fh, indent=1)

        manifest = {"format": FORMAT, "name": name, "task": task, "labels": list(labels),
                    "input": {"channels": channels, "height": height, "width": width, "mean": mean, "std": std},
                    "layers": list(layers), "defaultLayer": default_layer}
        if onnx_map:
            manifest["onnx"] = onnx_map
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
        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
        export_bundle(model, a.layers, a.out, name=a.name, task=a.task, labels=labels, channels=a.channels,
                      height=a.height, width=a.width, mean=a.mean, std=a.std, default_layer=a.default_layer,
                      reference_inputs=ref, onnx=not a.no_onnx, opset=a.opset, overwrite=a.overwrite,
                      extra=json.load(open(a.extra)) if a.extra else None)
    except ExportError as e:
        print("export_bundle: error: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
