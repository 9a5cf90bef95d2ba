#!/usr/bin/python3
"""Validate every committed ONNX file with onnx's own checker (full_check: shape inference too).

Checks testdata/*.onnx against testdata/manifest.json (every file listed, every listed file
present, opset as declared, dynamic batch axis as declared), models/*.onnx and
testdata/unsupported/*.onnx.
Usage: /usr/bin/python3 scripts/check_onnx.py    (exit status 1 on any failure)
"""
import glob
import json
import os
import sys

import onnx

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def check(path):
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    opset = next(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
    batch = m.graph.input[0].type.tensor_type.shape.dim[0]
    return opset, bool(batch.dim_param)


def main():
    failures = 0
    with open(os.path.join(REPO, "testdata", "manifest.json")) as f:
        entries = {e["file"]: e for e in json.load(f)["models"]}
    files = sorted(glob.glob(os.path.join(REPO, "testdata", "*.onnx")) + glob.glob(os.path.join(REPO, "models", "*.onnx"))
                   + glob.glob(os.path.join(REPO, "testdata", "unsupported", "*.onnx")))
    for path in files:
        rel = os.path.relpath(path, REPO)
        try:
            opset, dynamic = check(path)
            if os.path.dirname(rel) == "testdata":
                e = entries.pop(os.path.basename(path), None)
                if e is None:
                    raise ValueError("not in manifest.json")
                if (e["opset"], e["dynamic"]) != (opset, dynamic):
                    raise ValueError(f"manifest says opset {e['opset']} dynamic {e['dynamic']}, file has {opset} {dynamic}")
            print(f"ok   {rel} (opset {opset}, {'dynamic' if dynamic else 'fixed'} batch)")
        except Exception as err:  # report every file, then fail
            failures += 1
            print(f"FAIL {rel}: {err}")
    for name in entries:
        failures += 1
        print(f"FAIL testdata/{name}: listed in manifest.json but missing")
    print(f"{len(files) - failures} of {len(files)} files valid")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
