#!/usr/bin/env python3
"""Generate the example cases under examples/: models, test data and expected metrics.

Run from anywhere:  python3 examples/generate.py
Pinned versions: examples/requirements.txt. Re-running rewrites identical files.

Each case folder gets:
  mlops-ci.toml            the config `mlops-ci check -C examples/<case>` reads
  models/baseline.onnx     the baseline model (skl2onnx, input "X" float[N, n_features])
  models/candidate.onnx    the candidate model
  data/test.csv            held-out rows: snake_case feature columns, then the label column
  expected-metrics.json    what both models score on data/test.csv, computed here with
                           onnxruntime (CPU) + scikit-learn, to check the CLI against
  README.md                what the case shows and how to run it

Only scikit-learn's bundled datasets are used (nothing is downloaded).
"""

from __future__ import annotations

import os

# Single-threaded BLAS: multi-threaded OpenBLAS reductions can differ in the last bit from
# run to run, which changed the MLP's trained weights. Must be set before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import json
import math
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import sklearn
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn import metrics as skm
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

HERE = Path(__file__).resolve().parent
SEED = 42
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
GENERATED_BY = "examples/generate.py"

CLASSIFICATION_METRICS = [
    "accuracy",
    "balanced_accuracy",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "precision_weighted",
    "recall_weighted",
    "f1_weighted",
    "log_loss",
    "roc_auc",
]
REGRESSION_METRICS = ["mae", "mse", "rmse", "r2", "mape"]


# ---------------------------------------------------------------------------
# helpers shared by the cases (tests/fixtures/generate.py imports some of them)
# ---------------------------------------------------------------------------


def snake_case(name: str) -> str:
    """'sepal length (cm)' -> 'sepal_length', 'mean radius' -> 'mean_radius'."""
    name = re.sub(r"\(.*?\)", "", name)
    name = re.sub(r"[^0-9a-zA-Z]+", "_", name.strip().lower())
    return name.strip("_")


def as_float32_exact(x: np.ndarray) -> np.ndarray:
    """Round features to float32 so that the CSV text is exactly what the CLI feeds.

    The CSV then holds each value's shortest float32 representation: parsing it as f32
    directly, or as f64 and casting, gives the same float32 the expected metrics used.
    """
    return np.asarray(x, dtype=np.float32)


def format_float32(v: np.float32) -> str:
    s = np.format_float_positional(np.float32(v), unique=True, trim="-")
    return s


def write_csv(path: Path, features: pd.DataFrame, label_name: str, labels) -> None:
    """Write header + rows; features as shortest float32 text, labels as given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = list(features.columns)
    values = features.to_numpy(dtype=np.float32)
    lines = [",".join(cols + [label_name])]
    for row, label in zip(values, labels):
        lines.append(",".join([format_float32(v) for v in row] + [format_label(label)]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def format_label(label) -> str:
    if isinstance(label, (float, np.floating)):
        # regression targets: integral values print as "151.0"? keep them compact: "151"
        f = float(label)
        return str(int(f)) if f.is_integer() else repr(f)
    return str(label)


def to_onnx(model, n_features: int, name: str, options=None) -> onnx.ModelProto:
    onx = convert_sklearn(
        model,
        name=name,
        initial_types=[("X", FloatTensorType([None, n_features]))],
        target_opset=TARGET_OPSET,
        options=options,
    )
    return make_deterministic(onx, name)


def make_deterministic(onx: onnx.ModelProto, name: str) -> onnx.ModelProto:
    """Fix the fields that may vary between runs or machines."""
    onx.graph.name = name
    onx.doc_string = ""
    onx.graph.doc_string = ""
    onx.model_version = 1
    # skl2onnx collects opset imports in a set, so their order follows PYTHONHASHSEED, and
    # it can list the default domain twice: keep one entry per domain, sorted
    opsets: dict[str, int] = {}
    for o in onx.opset_import:
        opsets[o.domain] = max(o.version, opsets.get(o.domain, 0))
    del onx.opset_import[:]
    for domain, version in sorted(opsets.items()):
        onx.opset_import.add(domain=domain, version=version)
    return onx


def save_model(onx: onnx.ModelProto, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.checker.check_model(onx)
    path.write_bytes(onx.SerializeToString(deterministic=True))


def read_features(csv_path: Path, label: str):
    """Read the CSV the way the CLI does: all columns but the label, as float32."""
    df = pd.read_csv(csv_path, dtype={label: str})
    x = df.drop(columns=[label]).to_numpy(dtype=np.float32)
    return df, x


def run_model(path: Path, x: np.ndarray):
    """Run an ONNX model on CPU; returns (labels, probabilities or None, raw outputs)."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1  # determinism of the reference numbers
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    outs = sess.run(None, {sess.get_inputs()[0].name: x})
    return sess, outs


def proba_matrix(raw, classes) -> np.ndarray:
    """[N, C] float64 in the sorted class order, from a tensor or a ZipMap seq(map)."""
    if isinstance(raw, list):  # ZipMap: list of {class: prob}
        keys = sorted(raw[0].keys())
        assert [str(k) for k in keys] == [str(c) for c in classes], (keys, classes)
        return np.array([[row[k] for k in keys] for row in raw], dtype=np.float64)
    return np.asarray(raw, dtype=np.float64)


def classification_metrics(y_true, y_pred, proba: np.ndarray, classes) -> dict:
    m = {
        "accuracy": skm.accuracy_score(y_true, y_pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y_true, y_pred),
    }
    for avg in ("macro", "weighted"):
        p, r, f, _ = skm.precision_recall_fscore_support(
            y_true, y_pred, average=avg, zero_division=0
        )
        m[f"precision_{avg}"] = p
        m[f"recall_{avg}"] = r
        m[f"f1_{avg}"] = f
    with warnings.catch_warnings():
        # float32 probabilities cast to float64 can miss sum==1 by ~1e-8; sklearn warns,
        # then clips to [eps, 1-eps] (float64 eps) and does NOT renormalise.
        warnings.filterwarnings("ignore", message="The y_prob values do not sum to one")
        m["log_loss"] = skm.log_loss(y_true, proba, labels=classes)
    if len(classes) == 2:
        m["roc_auc"] = skm.roc_auc_score(y_true, proba[:, 1])
    else:
        m["roc_auc"] = skm.roc_auc_score(
            y_true, proba, multi_class="ovr", average="macro", labels=classes
        )
    assert list(m) == CLASSIFICATION_METRICS
    return {k: float(v) for k, v in m.items()}


def regression_metrics(y_true, y_pred) -> dict:
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    mse = skm.mean_squared_error(y_true, y_pred)
    m = {
        "mae": skm.mean_absolute_error(y_true, y_pred),
        "mse": mse,
        "rmse": math.sqrt(mse),
        "r2": skm.r2_score(y_true, y_pred),
        "mape": skm.mean_absolute_percentage_error(y_true, y_pred),
    }
    return {k: float(v) for k, v in m.items()}


def base_expected(suite: str, task: str) -> dict:
    return {
        "generated_by": GENERATED_BY,
        "sklearn_version": sklearn.__version__,
        "onnxruntime_version": ort.__version__,
        "suite": suite,
        "task": task,
        "note": (
            "ONNX Runtime ran with intra_op_num_threads=1. With more threads its tree "
            "ensembles add the trees up in another order (float32), which moves metrics "
            "by ~1e-8 relative: compare with a relative tolerance of 1e-6."
        ),
    }


def write_json(path: Path, obj) -> None:
    text = json.dumps(obj, indent=2)
    # one line per confusion-matrix row: [[a, b], [c, d]] reads better than one number a line
    text = re.sub(
        r"\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]",
        lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]",
        text,
    )
    path.write_text(text + "\n", encoding="utf-8")


def evaluate_classification(case_dir: Path, suite: str, label: str, classes, label_cast):
    df, x = read_features(case_dir / "data/test.csv", label)
    y = [label_cast(v) for v in df[label]]
    out = base_expected(suite, "classification")
    out["classes"] = list(classes)
    for role in ("candidate", "baseline"):
        _, (pred, raw_proba) = run_model(case_dir / f"models/{role}.onnx", x)
        pred = [label_cast(v) for v in np.asarray(pred).reshape(-1)]
        proba = proba_matrix(raw_proba, classes)
        out[role] = classification_metrics(y, pred, proba, list(classes))
        cm = skm.confusion_matrix(y, pred, labels=list(classes))
        out[f"{role}_confusion_matrix"] = cm.tolist()
    # order: metrics first, then the matrices (readability)
    ordered = {k: out[k] for k in out if not k.endswith("confusion_matrix")}
    ordered["candidate_confusion_matrix"] = out["candidate_confusion_matrix"]
    ordered["baseline_confusion_matrix"] = out["baseline_confusion_matrix"]
    return ordered


def evaluate_regression(case_dir: Path, suite: str, label: str):
    df, x = read_features(case_dir / "data/test.csv", label)
    y = df[label].astype(np.float64).to_numpy()
    out = base_expected(suite, "regression")
    for role in ("candidate", "baseline"):
        _, (pred,) = run_model(case_dir / f"models/{role}.onnx", x)
        out[role] = regression_metrics(y, pred)
    return out



# ---------------------------------------------------------------------------
# config, gates and README of a case
# ---------------------------------------------------------------------------

# which way is better, as the CLI's metric registry says
HIGHER_IS_BETTER = {
    "accuracy", "balanced_accuracy", "precision_macro", "recall_macro", "f1_macro",
    "precision_weighted", "recall_weighted", "f1_weighted", "roc_auc", "r2",
}
LOWER_IS_BETTER = {"log_loss", "mae", "mse", "rmse", "mape"}


def toml_value(v) -> str:
    if isinstance(v, str):
        return json.dumps(v)
    return repr(float(v)) if isinstance(v, float) else str(v)


def write_config(case_dir: Path, suite: str, task: str, label: str, gates: list[dict]) -> None:
    lines = [
        "# Generated by examples/generate.py; edit the generator, not this file.",
        "[baseline]",
        'path = "models/baseline.onnx"',
        "",
        "[[suite]]",
        f"name = {toml_value(suite)}",
        'model = "models/candidate.onnx"',
        f"task = {toml_value(task)}",
        "",
        "[suite.data]",
        'path = "data/test.csv"',
        f"label = {toml_value(label)}",
    ]
    for gate in gates:
        lines += ["", "[[suite.gate]]"]
        lines += [f"{k} = {toml_value(v)}" for k, v in gate.items()]
    (case_dir / "mlops-ci.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def decide_gates(expected: dict, gates: list[dict]) -> list[dict]:
    """The gate maths of DESIGN.md, done independently of the CLI."""
    results = []
    for gate in gates:
        metric = gate["metric"]
        cand, base = expected["candidate"][metric], expected["baseline"][metric]
        if metric in HIGHER_IS_BETTER:
            regression = base - cand
        else:
            assert metric in LOWER_IS_BETTER, metric
            regression = cand - base
        checks = []
        if "min" in gate:
            checks.append(("min", cand >= gate["min"]))
        if "max" in gate:
            checks.append(("max", cand <= gate["max"]))
        if "max_regression" in gate:
            checks.append(("max_regression", regression <= gate["max_regression"]))
        if "max_regression_pct" in gate:
            pct = 100.0 * regression / abs(base)
            checks.append(("max_regression_pct", pct <= gate["max_regression_pct"]))
        results.append(
            {
                "metric": metric,
                "candidate": cand,
                "baseline": base,
                "passed": all(ok for _, ok in checks),
                "failed_checks": [name for name, ok in checks if not ok],
            }
        )
    return results


def write_readme(case_dir: Path, title: str, story: str, results: list[dict], exit_code: int) -> None:
    rows = [
        "| gate | baseline | candidate | verdict |",
        "| --- | ---: | ---: | --- |",
    ]
    for r in results:
        verdict = "pass" if r["passed"] else "FAIL (" + ", ".join(r["failed_checks"]) + ")"
        rows.append(f"| `{r['metric']}` | {r['baseline']:.4f} | {r['candidate']:.4f} | {verdict} |")
    text = f"""# Example: {title}

{story}

Run it from the repository root:

```sh
cargo run --release -- check --all -C examples/{case_dir.name}
```

Expected: exit code {exit_code} ({"a gate fails" if exit_code else "all gates pass"}).

{chr(10).join(rows)}

`expected-metrics.json` holds every metric of both models on `data/test.csv`, computed with
ONNX Runtime (CPU) and scikit-learn. Everything here is written by `examples/generate.py`
(`python3 -m pip install -r examples/requirements.txt && python3 examples/generate.py`).
"""
    (case_dir / "README.md").write_text(text, encoding="utf-8")


def finish_case(case_dir: Path, exp: dict, task: str, label: str, gates, title, story, expect_pass):
    write_json(case_dir / "expected-metrics.json", exp)
    write_config(case_dir, exp["suite"], task, label, gates)
    results = decide_gates(exp, gates)
    passed = all(r["passed"] for r in results)
    assert passed == expect_pass, (case_dir.name, results)
    write_readme(case_dir, title, story, results, 0 if passed else 1)
    return results

# ---------------------------------------------------------------------------
# the cases
# ---------------------------------------------------------------------------


def feature_frame(bunch) -> pd.DataFrame:
    cols = [snake_case(n) for n in bunch.feature_names]
    assert len(set(cols)) == len(cols), cols
    return pd.DataFrame(as_float32_exact(bunch.data), columns=cols)


def iris_split():
    """The iris data and its 60/40 stratified split (tests/fixtures reuses it)."""
    bunch = load_iris()
    X = feature_frame(bunch)
    names = np.array(bunch.target_names)
    y_str = names[bunch.target]
    idx_train, idx_test = train_test_split(
        np.arange(len(X)), test_size=0.4, stratify=bunch.target, random_state=SEED
    )
    return X, y_str, bunch.target, idx_train, idx_test


def make_iris() -> None:
    case = HERE / "iris"
    X, y, _, tr, te = iris_split()
    Xtr = X.iloc[tr].to_numpy(np.float32)

    baseline = LogisticRegression(max_iter=1000, random_state=SEED).fit(Xtr, y[tr])
    candidate = DecisionTreeClassifier(max_depth=1, random_state=SEED).fit(Xtr, y[tr])
    n = X.shape[1]
    # skl2onnx defaults: output_label (string tensor) + output_probability (ZipMap)
    save_model(to_onnx(baseline, n, "iris_baseline"), case / "models/baseline.onnx")
    save_model(to_onnx(candidate, n, "iris_candidate"), case / "models/candidate.onnx")
    write_csv(case / "data/test.csv", X.iloc[te], "species", y[te])

    classes = sorted(baseline.classes_.tolist())
    exp = evaluate_classification(case, "iris", "species", classes, str)
    gates = [
        {"metric": "accuracy", "min": 0.90, "max_regression": 0.01},
        {"metric": "f1_macro", "max_regression_pct": 2.0},
    ]
    story = (
        "Three-class classification with string labels (`setosa`, `versicolor`, `virginica`)\n"
        "in the `species` column. Both models use skl2onnx's default outputs: `output_label`\n"
        "(string tensor) and `output_probability` (a ZipMap, `seq(map(string, float))`).\n"
        "The baseline is a LogisticRegression; the candidate is a one-split decision tree\n"
        "(`max_depth=1`) that can never predict `virginica`, so the accuracy and F1 gates FAIL."
    )
    return finish_case(case, exp, "classification", "species", gates,
                       "iris (a candidate that fails its gates)", story, expect_pass=False)


def make_breast_cancer() -> None:
    case = HERE / "breast-cancer"
    bunch = load_breast_cancer()
    X = feature_frame(bunch)
    y = bunch.target.astype(np.int64)
    tr, te = train_test_split(
        np.arange(len(X)), test_size=0.3, stratify=y, random_state=SEED
    )
    Xtr = X.iloc[tr].to_numpy(np.float32)

    baseline = make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=5000, random_state=SEED)
    ).fit(Xtr, y[tr])
    # the candidate swaps the linear model for a small neural network (one hidden layer)
    candidate = make_pipeline(
        StandardScaler(),
        MLPClassifier(
            hidden_layer_sizes=(16,), alpha=1.0, max_iter=3000, random_state=SEED
        ),
    ).fit(Xtr, y[tr])
    n = X.shape[1]
    # zipmap off: outputs `label` int64 [N] and `probabilities` float [N, 2]
    save_model(
        to_onnx(baseline, n, "breast_cancer_baseline", {id(baseline): {"zipmap": False}}),
        case / "models/baseline.onnx",
    )
    save_model(
        to_onnx(candidate, n, "breast_cancer_candidate", {id(candidate): {"zipmap": False}}),
        case / "models/candidate.onnx",
    )
    write_csv(case / "data/test.csv", X.iloc[te], "target", y[te])

    exp = evaluate_classification(case, "breast-cancer", "target", [0, 1], int)
    gates = [
        {"metric": "accuracy", "min": 0.95, "max_regression": 0.01},
        {"metric": "f1_macro", "max_regression_pct": 2.0},
        {"metric": "roc_auc", "min": 0.98},
    ]
    story = (
        "Binary classification with integer labels 0/1 in the `target` column. The models\n"
        "were converted with `zipmap=False`, so they output `label` (int64 [N]) and\n"
        "`probabilities` (float [N, 2]). The baseline is StandardScaler + LogisticRegression;\n"
        "the candidate is StandardScaler + a small MLP (16 hidden units). The candidate is a\n"
        "little worse, within the allowed regression, so all gates pass."
    )
    return finish_case(case, exp, "classification", "target", gates,
                       "breast cancer (binary, tensor outputs, gates pass)", story, expect_pass=True)


def diabetes_split():
    """The diabetes data and its 70/30 split (tests/fixtures reuses it)."""
    bunch = load_diabetes()
    X = feature_frame(bunch)
    y = bunch.target.astype(np.float64)
    tr, te = train_test_split(np.arange(len(X)), test_size=0.3, random_state=SEED)
    return X, y, tr, te


def make_diabetes() -> None:
    case = HERE / "diabetes"
    X, y, tr, te = diabetes_split()
    Xtr = X.iloc[tr].to_numpy(np.float32)

    baseline = LinearRegression().fit(Xtr, y[tr])
    candidate = GradientBoostingRegressor(
        n_estimators=100, max_depth=2, learning_rate=0.05, random_state=SEED
    ).fit(Xtr, y[tr])
    n = X.shape[1]
    save_model(to_onnx(baseline, n, "diabetes_baseline"), case / "models/baseline.onnx")
    save_model(to_onnx(candidate, n, "diabetes_candidate"), case / "models/candidate.onnx")
    write_csv(case / "data/test.csv", X.iloc[te], "target", y[te])

    exp = evaluate_regression(case, "diabetes", "target")
    gates = [
        {"metric": "rmse", "max_regression_pct": 5.0},
        {"metric": "mae", "max_regression_pct": 5.0},
        {"metric": "r2", "min": 0.3},
    ]
    story = (
        "Regression on the `target` column (disease progression after one year). Both models\n"
        "output `variable` (float [N, 1]). The baseline is a LinearRegression; the candidate is\n"
        "a small GradientBoostingRegressor (100 trees of depth 2) that is slightly better, so\n"
        "all gates pass."
    )
    return finish_case(case, exp, "regression", "target", gates,
                       "diabetes (regression, gates pass)", story, expect_pass=True)


def main() -> int:
    cases = {
        "iris": make_iris,
        "breast-cancer": make_breast_cancer,
        "diabetes": make_diabetes,
    }
    for case, make in cases.items():
        results = make()
        exp = json.loads((HERE / case / "expected-metrics.json").read_text())
        print(f"{case}:")
        for role in ("baseline", "candidate"):
            print(f"  {role:9s} " + " ".join(f"{k}={v:.4f}" for k, v in exp[role].items()))
        for r in results:
            verdict = "pass" if r["passed"] else "FAIL " + ",".join(r["failed_checks"])
            print(f"  gate {r['metric']}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
