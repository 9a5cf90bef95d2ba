#!/usr/bin/python3
"""Train the embedded models of package models/ on the MNIST training split and export them.

For each model writes models/<name>.onnx (opset 13, dynamic batch axis "batch", input "input"
[N,1,28,28] float32 in [0,1], output "output" [N,10] logits), models/<name>.json (description,
PyTorch accuracy on the committed test split, training settings) and models/<name>.pred.npy
(PyTorch's predicted label for every test image, int64), which the e2e tests compare our engine
against. PyTorch folds BatchNorm into the preceding Conv when it exports; cnn-gelu keeps its
BatchNormalization nodes (TrainingMode.PRESERVE) so the importer's own folding is exercised by a
default model. Deterministic for the fixed seeds (one CPU thread).

Usage: /usr/bin/python3 scripts/train_models.py [name ...]
"""
import os
import sys

import numpy as np
import torch

import mnist_data
import nets

OPSET = 13
MODELS = {
    # name: (class, epochs, seed, keep BatchNormalization nodes in the export, description)
    "mlp-silu": (nets.MLPSiLU, 12, 1, False, "MLP 784-256-128-10 with SiLU"),
    "cnn-gelu": (nets.CNNGELU, 6, 2, True, "CNN: 2x (Conv3x3 + BatchNorm + GELU + MaxPool), Linear 1568-64 GELU, Linear 64-10"),
    "effnet-se": (nets.EffNetSE, 6, 3, False, "EfficientNet-like: MBConv blocks (1x1 expand, depthwise 3x3, "
                  "squeeze-excitation with SiLU and Sigmoid gate, 1x1 project) with SiLU, BatchNorm, residuals"),
}
OUT = os.path.join(mnist_data.REPO, "models")


def main():
    torch.set_num_threads(1)
    names = sys.argv[1:] or list(MODELS)
    tx, ty, vx, vy = mnist_data.load()
    for name in names:
        cls, epochs, seed, keep_bn, desc = MODELS[name]
        print(f"{name}: training {epochs} epochs on {len(tx)} digits", file=sys.stderr)
        torch.manual_seed(seed)
        model = nets.train(cls(), tx, ty, epochs, seed, log=lambda s: print(s, file=sys.stderr))
        pred = nets.predict(model, vx).argmax(1).astype(np.int64)
        acc = float((pred == vy).mean())
        print(f"{name}: test accuracy {acc:.4f}", file=sys.stderr)
        nets.export(model, os.path.join(OUT, f"{name}.onnx"), OPSET, dynamic=True, batch=2,
                    preserve_bn=keep_bn)
        nets.save_npy(os.path.join(OUT, f"{name}.pred.npy"), pred)
        nets.write_json(os.path.join(OUT, f"{name}.json"), {
            "name": name, "description": desc, "pytorch_accuracy": acc, "test_samples": int(len(vy)),
            "epochs": epochs, "seed": seed, "opset": OPSET, "train_samples": int(len(tx)),
            "torch_version": torch.__version__, "batchnorm_nodes_kept": keep_bn,
        })


if __name__ == "__main__":
    main()
