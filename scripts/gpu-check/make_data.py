#!/usr/bin/env python3
"""Evaluation data for scripts/gpu-check.sh: numpy only, so it runs on a bare GPU machine.

    python3 scripts/gpu-check/make_data.py OUT.npz [--rows 1000000]

Writes `X` float32 [rows, 20] and `y` int64 [rows] (0/1) from a fixed seed: features ~ N(0,1)
rounded to 4 decimals, label from a noisy nonlinear rule, the rule the checked-in models in this
directory were trained on (make_models.py imports `sample` from here).
"""

from __future__ import annotations

import argparse

import numpy as np

SEED = 20261128
FEATURES = 20


def rule_weights() -> np.ndarray:
    return np.random.default_rng(SEED).normal(0.0, 1.0, FEATURES)


def sample(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, np.ndarray]:
    w = rule_weights()
    x = np.round(rng.standard_normal((rows, FEATURES)), 4).astype(np.float32)
    x64 = x.astype(np.float64)
    logit = x64 @ w + 1.5 * np.abs(x64[:, 0] * x64[:, 1]) - 1.0 + rng.normal(0.0, 1.0, rows)
    return x, (logit > 0).astype(np.int64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    x, y = sample(np.random.default_rng([SEED, 2]), args.rows)
    np.savez(args.out, X=x, y=y)


if __name__ == "__main__":
    main()
