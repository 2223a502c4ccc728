#!/usr/bin/env python3
"""Make the cases of the latency A/A benchmark (bench/latency/aa.sh).

    python3 bench/latency/make_cases.py OUTDIR

Writes, deterministically, three case folders, each with `baseline.onnx`, `candidate.onnx`,
`data.csv` and an `mlops-ci.toml` whose baseline is the fixed file `baseline.onnx`:

  OUTDIR/aa-small   the breast-cancer example's baseline model (skl2onnx) against a copy of
                    itself re-serialised with another producer string and metadata: the same
                    graph, different bytes (so mlops-ci evaluates both); its 171-row test set
  OUTDIR/aa-mlp     a small regression MLP built with onnx.helper, against its re-serialised
                    copy; 1,024 rows of 64 features, batches of 64
  OUTDIR/slow-mlp   the same MLP against a candidate with one hidden layer duplicated (and
                    widened by a sixteenth) as a side branch with its own weights, its result
                    scaled by 1e-30 and added to the output, so the predictions do not change
                    and ONNX Runtime can neither drop nor merge it: 33% more multiply-adds,
                    about 30% more time per batch

Every config gates the latency three ways (see GATES) so one run shows each gate's verdict.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261128
FEATURES = 64
HIDDEN = 256
LAYERS = 3  # hidden 256x256 layers; duplicating one adds ~30% of the multiply-adds
ROWS = 1024

GATES = """
[[suite.gate]]
metric = "latency_p95_ms"
max_regression_pct = 50

[[suite.gate]]
metric = "latency_ratio_p50"
max = 1.1

[[suite.gate]]
metric = "latency_ratio_p95"
max = 1.3
"""


def reserialised(model: onnx.ModelProto) -> onnx.ModelProto:
    """The same graph in different bytes: another producer string and a metadata entry."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    copy.producer_name = "mlops-ci-latency-aa"
    copy.producer_version = "1"
    copy.doc_string = "re-serialised copy for the latency A/A benchmark"
    entry = copy.metadata_props.add()
    entry.key, entry.value = "copy_of", model.producer_name or "model"
    return copy


def mlp(slow: bool) -> onnx.ModelProto:
    rng = np.random.default_rng(SEED)
    scale = 1.0 / np.sqrt(HIDDEN)
    weights = [rng.normal(0, 1.0 / np.sqrt(FEATURES), (FEATURES, HIDDEN))]
    weights += [rng.normal(0, scale, (HIDDEN, HIDDEN)) for _ in range(LAYERS)]
    weights += [rng.normal(0, scale, (HIDDEN, 1))]
    inits = [
        numpy_helper.from_array(w.astype(np.float32), f"W{i}") for i, w in enumerate(weights)
    ]
    nodes = []
    h = "X"
    for i in range(len(weights) - 1):
        nodes.append(helper.make_node("MatMul", [h, f"W{i}"], [f"m{i}"]))
        nodes.append(helper.make_node("Relu", [f"m{i}"], [f"h{i}"]))
        h = f"h{i}"
    last = len(weights) - 1
    if not slow:
        nodes.append(helper.make_node("MatMul", [h, f"W{last}"], ["variable"]))
    else:
        nodes.append(helper.make_node("MatMul", [h, f"W{last}"], ["main"]))
        # The duplicated heavy subgraph: hidden layer 1 once more, on the same input, widened
        # by a sixteenth (+33% multiply-adds; measured about +33% per batch). Its
        # weights are its own: with the very same initializer ONNX Runtime's common
        # subexpression elimination would merge the two layers into one.
        nodes.append(helper.make_node("MatMul", ["h0", "W1_dup"], ["dup_m"]))
        nodes.append(helper.make_node("Relu", ["dup_m"], ["dup_h"]))
        nodes.append(helper.make_node("ReduceSum", ["dup_h", "axes"], ["dup_sum"], keepdims=1))
        nodes.append(helper.make_node("Mul", ["dup_sum", "tiny"], ["dup_scaled"]))
        nodes.append(helper.make_node("Add", ["main", "dup_scaled"], ["variable"]))
        dup = np.concatenate([-weights[1], weights[1][:, : HIDDEN // 16]], axis=1)
        inits.append(numpy_helper.from_array(dup.astype(np.float32), "W1_dup"))
        inits.append(numpy_helper.from_array(np.array([1], dtype=np.int64), "axes"))
        inits.append(numpy_helper.from_array(np.array(1e-30, dtype=np.float32), "tiny"))
    graph = helper.make_graph(
        nodes,
        "mlp_slow" if slow else "mlp",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, FEATURES])],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])],
        inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="onnx.helper"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def mlp_data(path: Path) -> None:
    rng = np.random.default_rng(SEED + 1)
    x = np.round(rng.standard_normal((ROWS, FEATURES)), 4)
    y = np.round(x[:, 0] - 0.5 * x[:, 1] + rng.normal(0, 0.1, ROWS), 4)
    header = ",".join([f"f{i}" for i in range(FEATURES)] + ["target"])
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header=header, comments="", fmt="%.4f")


def config(name: str, task: str, batch_size: int) -> str:
    return f"""# Generated by bench/latency/make_cases.py
[baseline]
path = "baseline.onnx"

[runtime]
batch_size = {batch_size}

[[suite]]
name = "{name}"
model = "candidate.onnx"
task = "{task}"

[suite.data]
path = "data.csv"
label = "target"
{GATES}"""


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    small = out / "aa-small"
    small.mkdir(parents=True, exist_ok=True)
    base = onnx.load(ROOT / "examples/breast-cancer/models/baseline.onnx")
    onnx.save(base, small / "baseline.onnx")
    onnx.save(reserialised(base), small / "candidate.onnx")
    shutil.copy(ROOT / "examples/breast-cancer/data/test.csv", small / "data.csv")
    (small / "mlops-ci.toml").write_text(config("aa-small", "classification", 256))

    fast, slow = mlp(slow=False), mlp(slow=True)
    for name, candidate in [("aa-mlp", reserialised(fast)), ("slow-mlp", slow)]:
        case = out / name
        case.mkdir(parents=True, exist_ok=True)
        onnx.save(fast, case / "baseline.onnx")
        onnx.save(candidate, case / "candidate.onnx")
        mlp_data(case / "data.csv")
        (case / "mlops-ci.toml").write_text(config(name, "regression", 64))
    for case in ["aa-small", "aa-mlp", "slow-mlp"]:
        a, b = ((out / case / f).read_bytes() for f in ("baseline.onnx", "candidate.onnx"))
        assert a != b, f"{case}: the two models must differ in bytes"
    print(f"cases in {out}: aa-small, aa-mlp, slow-mlp")


if __name__ == "__main__":
    main()
