#!/usr/bin/env python3
"""The Python evaluation script a user would otherwise write: the benchmark's reference.

    python3 bench/reference_eval.py CONFIG_DIR [--batch-size 4096]

Reads CONFIG_DIR/mlops-ci.toml (baseline path, the first suite's model and data), loads the
CSV with pandas, runs both ONNX models with onnxruntime (CPU) in batches, computes the
classification metrics with scikit-learn and prints one JSON object: each model's metrics,
its confusion matrix and `raw_ort_inference_s` (the sum of the time spent inside
`sess.run` only), plus the wall time of each phase.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd
from sklearn import metrics as skm


def run_model(path: Path, x: np.ndarray, batch_size: int):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    input_name = sess.get_inputs()[0].name
    labels, probas = [], []
    inference_s = 0.0
    for start in range(0, len(x), batch_size):
        batch = x[start : start + batch_size]
        t0 = time.perf_counter()
        label, proba = sess.run(None, {input_name: batch})
        inference_s += time.perf_counter() - t0
        labels.append(np.asarray(label).reshape(-1))
        if isinstance(proba, list):  # ZipMap output: list of {class: probability}
            keys = sorted(proba[0])
            proba = np.array([[row[k] for k in keys] for row in proba], dtype=np.float32)
        probas.append(proba)
    return np.concatenate(labels), np.concatenate(probas).astype(np.float64), inference_s


def classification_metrics(y, pred, proba, classes) -> dict:
    m = {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
    }
    for avg in ("macro", "weighted"):
        p, r, f, _ = skm.precision_recall_fscore_support(y, pred, average=avg, zero_division=0)
        m[f"precision_{avg}"], m[f"recall_{avg}"], m[f"f1_{avg}"] = p, r, f
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The y_prob values do not sum to one")
        m["log_loss"] = skm.log_loss(y, proba, labels=classes)
    if len(classes) == 2:
        m["roc_auc"] = skm.roc_auc_score(y, proba[:, 1])
    else:
        m["roc_auc"] = skm.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=classes)
    return {k: float(v) for k, v in m.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("config_dir", type=Path)
    ap.add_argument("--batch-size", type=int, default=4096)
    args = ap.parse_args()

    t_start = time.perf_counter()
    root: Path = args.config_dir
    config = tomllib.loads((root / "mlops-ci.toml").read_text(encoding="utf-8"))
    suite = config["suite"][0]
    data = suite["data"]
    label = data["label"]

    t0 = time.perf_counter()
    df = pd.read_csv(root / data["path"])
    features = data.get("features") or [c for c in df.columns if c != label]
    x = df[features].to_numpy(dtype=np.float32)
    y = df[label].to_numpy()
    load_s = time.perf_counter() - t0

    result = {"suite": suite["name"], "rows": int(len(df)), "batch_size": args.batch_size,
              "onnxruntime_version": ort.__version__, "load_csv_s": load_s}
    models = {"candidate": root / suite["model"], "baseline": root / config["baseline"]["path"]}
    for role, path in models.items():
        t0 = time.perf_counter()
        pred, proba, inference_s = run_model(path, x, args.batch_size)
        run_s = time.perf_counter() - t0
        classes = sorted(set(np.unique(y).tolist()) | set(np.unique(pred).tolist()))
        t0 = time.perf_counter()
        metrics = classification_metrics(y, pred, proba, classes)
        cm = skm.confusion_matrix(y, pred, labels=classes)
        result[role] = {
            "metrics": metrics,
            "confusion_matrix": cm.tolist(),
            "raw_ort_inference_s": inference_s,
            "run_s": run_s,
            "metrics_s": time.perf_counter() - t0,
        }
    result["total_s"] = time.perf_counter() - t_start
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
