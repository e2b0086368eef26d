#!/usr/bin/env python3
"""Run the ONNX checker on model files, with full shape inference (strict), and print one line per file.

    python3 tools/check_onnx.py model.xcam.onnx [...]

Exit code 0 when every file passes. The CLI test (cli CompileCommandTest) calls it on compiled models where
python3 with onnx is installed; CI has no Python, where the Java-side checks (OnnxChecks, ONNX Runtime loading and
running the graph) stand in.
"""
import sys

import onnx


def main():
    bad = 0
    for path in sys.argv[1:]:
        m = onnx.load(path)
        opset = [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")]
        if opset and opset[0] > onnx.defs.onnx_opset_version():
            print("skipped %s: opset %d is newer than this onnx %s knows (up to %d); upgrade onnx to check it"
                  % (path, opset[0], onnx.__version__, onnx.defs.onnx_opset_version()))
            continue
        try:
            onnx.checker.check_model(m, full_check=True)
            onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
            opset = [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")]
            print("ok %s (onnx %s, opset %s, %d nodes)" % (path, onnx.__version__, opset[0] if opset else "?", len(m.graph.node)))
        except Exception as e:  # noqa: BLE001 - report any checker failure as one line
            bad += 1
            print("FAILED %s: %s" % (path, str(e).splitlines()[0] if str(e) else type(e).__name__))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
