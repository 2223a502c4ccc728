#!/usr/bin/env python3
"""The two models scripts/gpu-check.sh evaluates (checked in beside this script).

    python3 scripts/gpu-check/make_models.py      # needs numpy and onnx; rewrites *.onnx here

A small MLP (20 → H ReLU → 2 softmax, label = argmax) written with onnx.helper from standard
ONNX operators only (MatMul, Add, Relu, Softmax, ArgMax), so every node has a CUDA kernel and
the GPU run really runs on the GPU; skl2onnx's ai.onnx.ml operators have none and would run on
the CPU whatever the device. Weights: a fixed random hidden layer, the output layer fitted by
gradient descent on 20,000 rows from make_data.py's rule. baseline: H = 64; candidate: H = 256.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from make_data import FEATURES, SEED, sample

HERE = Path(__file__).resolve().parent


def fit(hidden: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng([SEED, seed])
    x, y = sample(np.random.default_rng([SEED, 1]), 20_000)
    w1 = rng.normal(0.0, 1.0 / np.sqrt(FEATURES), (FEATURES, hidden)).astype(np.float32)
    b1 = rng.normal(0.0, 0.5, hidden).astype(np.float32)
    h = np.maximum(x @ w1 + b1, 0.0).astype(np.float64)
    w2 = np.zeros((hidden, 2))
    b2 = np.zeros(2)
    onehot = np.eye(2)[y]
    for _ in range(400):
        z = h @ w2 + b2
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        grad = (p - onehot) / len(y)
        w2 -= 0.5 * (h.T @ grad + 1e-4 * w2)
        b2 -= 0.5 * grad.sum(axis=0)
    return [w1, b1, w2.astype(np.float32), b2.astype(np.float32)]


def model(hidden: int, seed: int) -> onnx.ModelProto:
    w1, b1, w2, b2 = fit(hidden, seed)
    nodes = [
        helper.make_node("MatMul", ["X", "W1"], ["h0"]),
        helper.make_node("Add", ["h0", "B1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h"]),
        helper.make_node("MatMul", ["h", "W2"], ["z0"]),
        helper.make_node("Add", ["z0", "B2"], ["z"]),
        helper.make_node("Softmax", ["z"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["z"], ["label"], axis=1, keepdims=0),
    ]
    inits = [numpy_helper.from_array(a, n) for a, n in zip((w1, b1, w2, b2), ("W1", "B1", "W2", "B2"))]
    graph = helper.make_graph(
        nodes,
        "gpu_check_mlp",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", FEATURES])],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2]),
        ],
        inits,
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="mlops-ci gpu-check")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def main() -> None:
    onnx.save(model(64, 10), HERE / "baseline.onnx")
    onnx.save(model(256, 11), HERE / "candidate.onnx")


if __name__ == "__main__":
    main()
