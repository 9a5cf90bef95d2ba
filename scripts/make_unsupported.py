#!/usr/bin/python3
"""Write testdata/unsupported/lpnorm_cumsum.onnx: a valid ONNX model (onnx.checker passes) whose
graph has two operators fewspikes does not run, LpNormalization and CumSum, between supported ones.
The e2e tests use it to check that loading it fails at once with exit code 2, naming both nodes.
Usage: /usr/bin/python3 scripts/make_unsupported.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    nodes = [
        helper.make_node("Flatten", ["input"], ["flat"], name="flatten", axis=1),
        helper.make_node("Relu", ["flat"], ["relu"], name="relu"),
        helper.make_node("LpNormalization", ["relu"], ["hard"], name="lpnorm_node", axis=1, p=2),
        helper.make_node("CumSum", ["hard", "axis"], ["cum"], name="cumsum_node"),
        helper.make_node("Sigmoid", ["cum"], ["output"], name="sigmoid"),
    ]
    graph = helper.make_graph(
        nodes, "unsupported_ops",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 28, 28])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 784])],
        initializer=[numpy_helper.from_array(np.array(1, dtype=np.int64), "axis")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_unsupported.py")
    model.ir_version = 7
    onnx.checker.check_model(model, full_check=True)
    out = os.path.join(REPO, "testdata", "unsupported", "lpnorm_cumsum.onnx")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    onnx.save(model, out)


if __name__ == "__main__":
    main()
