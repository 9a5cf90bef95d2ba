#!/usr/bin/python3
"""Generate testdata/: PyTorch-exported ONNX test models with reference inputs and outputs.

Seven networks (scripts/nets.py), each exported by torch.onnx.export at three to five opsets
(9, 11, 13, 14 and 17 as issue 3 asks, plus 7, 8, 10, 12, 15 and 16 so every opset PyTorch 1.13
can write appears), with a fixed batch or a dynamic batch axis ("batch"). Not exported: the U-Net
below opset 11 (opset 10's Resize and opset 9's Upsample have no half_pixel mode, so they cannot
express PyTorch's bilinear interpolation) and GELU below opset 9 (no Erf).

    testdata/<net>.op<opset>.<fix|dyn>.onnx

The classifiers are trained briefly on the MNIST training split (scripts/mnist_data.py) so their
accuracy means something; the U-Net-like regressor keeps its seeded random weights. For each net:

    testdata/<net>.input.npy   float32 [6,1,28,28]: the first 6 digits of the test split
    testdata/<net>.output.npy  float32: PyTorch's output for that input
    testdata/<net>.pred.npy    int64 [2000]: PyTorch's predicted label for every test digit
                               (classifiers only)

and testdata/manifest.json lists every ONNX file with its net, opset, dynamic flag, input, output,
kind (classifier or regression), PyTorch accuracy on the whole test split and predictions file.
Some exports keep BatchNormalization nodes (TrainingMode.PRESERVE skips PyTorch's own Conv+BN
fusion) so that the importer's folding and its standalone BatchNormalization are both exercised.

Deterministic for the fixed seeds, one CPU thread. CI never runs this; it runs the Go e2e tests
against the committed files. Usage: /usr/bin/python3 scripts/make_testdata.py
"""
import copy
import os
import sys
import warnings

import numpy as np
import onnx
import torch

import mnist_data
import nets

OUT = os.path.join(mnist_data.REPO, "testdata")
BATCH = 6  # input batch, and the batch of the fixed-batch exports

# net: (class, kind, epochs, seed, [(opset, dynamic, keep_bn), ...], description)
NETS = {
    "mlp": (nets.TinyMLP, "classifier", 8, 11,
            [(7, True, False), (9, False, False), (13, True, False), (17, True, False)],
            "MLP 784-64-32-10 ReLU, flattened with view(size(0), -1)"),
    "cnn_bn_pool": (nets.CNNBNPool, "classifier", 6, 12,
                    [(8, False, True), (9, True, False), (10, True, False), (11, False, True), (14, True, True)],
                    "CNN: Conv+BatchNorm+ReLU, MaxPool ceil_mode, AvgPool pad 1 with and without "
                    "count_include_pad, BatchNorm after pooling"),
    "resnet_gelu": (nets.ResNetGELU, "classifier", 6, 13,
                    [(10, False, False), (11, True, False), (12, True, False), (13, False, True), (17, True, False)],
                    "residual CNN with GELU (erf form; tanh form in the second block), ReduceMean head"),
    "dwsep_se": (nets.DWSepSE, "classifier", 10, 14,
                 [(9, False, False), (13, True, True), (15, False, True), (17, True, False)],
                 "depthwise-separable convs with SiLU and squeeze-excitation (Sigmoid gate)"),
    "mobilenetv3": (nets.MobileNetV3ish, "classifier", 8, 15,
                    [(8, True, False), (9, True, False), (14, True, False), (17, False, False)],
                    "MobileNetV3-like: HardSwish, squeeze-excitation with ReLU and HardSigmoid gate"),
    "mlp_mixed_act": (nets.MLPMixedAct, "classifier", 8, 16,
                      [(11, False, False), (14, True, False), (16, True, False), (17, True, False)],
                      "MLP with Tanh, ELU, LayerNorm, LeakyReLU(0.1), Softplus and Mish"),
    "unet": (nets.UNetish, "regression", 0, 17,
             [(11, True, False), (12, False, False), (13, True, False), (16, True, False), (17, False, False)],
             "U-Net-like regressor (random weights): MaxPool down, ConvTranspose and Resize up "
             "(nearest, bilinear), Concat skips, SiLU/ReLU/Tanh/Sigmoid"),
}


def main():
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=UserWarning)
    only = sys.argv[1:]
    tx, ty, vx, vy = mnist_data.load()
    os.makedirs(OUT, exist_ok=True)
    x = nets.to_float(vx[:BATCH])
    manifest_path = os.path.join(OUT, "manifest.json")
    manifest = []
    if only and os.path.exists(manifest_path):
        import json
        with open(manifest_path) as f:
            manifest = [e for e in json.load(f)["models"] if e["model"] not in only]
    for name, (cls, kind, epochs, seed, exports, desc) in NETS.items():
        if only and name not in only:
            continue
        torch.manual_seed(seed)
        model = cls()
        if epochs:
            print(f"{name}: training {epochs} epochs", file=sys.stderr)
            model = nets.train(model, tx, ty, epochs, seed, log=lambda s: print(s, file=sys.stderr))
        else:
            # Random weights, but BatchNorm-free nets still need eval mode for export.
            model.eval()
        with torch.no_grad():
            out = model(x).numpy()
        nets.save_npy(os.path.join(OUT, f"{name}.input.npy"), x.numpy())
        nets.save_npy(os.path.join(OUT, f"{name}.output.npy"), out)
        acc, pred_file = None, None
        if kind == "classifier":
            pred = nets.predict(model, vx).argmax(1).astype(np.int64)
            acc = float((pred == vy).mean())
            pred_file = f"{name}.pred.npy"
            nets.save_npy(os.path.join(OUT, pred_file), pred)
            print(f"{name}: test accuracy {acc:.4f}", file=sys.stderr)
        for opset, dynamic, keep_bn in exports:
            fname = f"{name}.op{opset}.{'dyn' if dynamic else 'fix'}.onnx"
            path = os.path.join(OUT, fname)
            # Export a copy: export must not be able to disturb the weights the references used.
            nets.export(copy.deepcopy(model), path, opset, dynamic, BATCH, preserve_bn=keep_bn)
            m = onnx.load(path)
            onnx.checker.check_model(m, full_check=True)
            ops = sorted({n.op_type for n in m.graph.node})
            print(f"  {fname}: {os.path.getsize(path)} bytes, ops {ops}", file=sys.stderr)
            manifest.append({
                "file": fname, "model": name, "description": desc, "opset": opset,
                "dynamic": dynamic, "batch": None if dynamic else BATCH,
                "batchnorm_nodes": "BatchNormalization" in ops,
                "input": f"{name}.input.npy", "output": f"{name}.output.npy",
                "kind": kind, "pytorch_accuracy": acc, "predictions": pred_file,
                "operators": ops,
            })
    order = {n: i for i, n in enumerate(NETS)}
    manifest.sort(key=lambda e: (order[e["model"]], e["opset"]))
    nets.write_json(manifest_path, {
        "generator": "scripts/make_testdata.py",
        "torch_version": torch.__version__, "onnx_version": onnx.__version__,
        "test_images": "../models/data/mnist-test-images.idx.gz",
        "test_labels": "../models/data/mnist-test-labels.idx.gz",
        "tolerance": {"abs": 1e-4, "rel": 1e-5},
        "models": manifest,
    })


if __name__ == "__main__":
    main()
