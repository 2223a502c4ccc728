"""What a team would write with pandas + scipy to do what `mlops-ci data check` does on the
bench/data.sh case: the contract of mlops-ci.toml on every row of candidate.csv, drift of each
column against base.csv with Evidently's rule for more than 1000 rows (Wasserstein distance over
the reference std for numbers with more than 5 values, else Jensen-Shannon on the shares;
threshold 0.1), and the data diff (rows by content hash, columns, summaries).

    python3 bench/reference_data_validation.py DIR     # prints one line of JSON
"""

import json
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon


def contract(frame, schema):
    broken = {}
    if len(frame) < schema.get("min_rows", 0):
        broken["min_rows"] = len(frame)
    duplicates = int(frame.duplicated().sum())
    if duplicates > schema.get("max_duplicate_rows", duplicates):
        broken["duplicate_rows"] = duplicates
    for name, rule in schema.get("columns", {}).items():
        if name not in frame:
            broken[f"missing_column {name}"] = 1
            continue
        col = frame[name]
        present = col.dropna()
        kind = rule.get("type")
        if kind in ("int", "float"):
            numbers = pd.to_numeric(present, errors="coerce")
            bad = int(numbers.isna().sum())
            if kind == "int":
                bad += int((numbers.dropna() % 1 != 0).sum())
            if bad:
                broken[f"type {name}"] = bad
            if "min" in rule and (n := int((numbers < rule["min"]).sum())):
                broken[f"min {name}"] = n
            if "max" in rule and (n := int((numbers > rule["max"]).sum())):
                broken[f"max {name}"] = n
        elif kind == "bool" and (n := int((~present.isin([True, False])).sum())):
            broken[f"type {name}"] = n
        nulls = int(col.isna().sum())
        if rule.get("nullable") is False and nulls:
            broken[f"nulls {name}"] = nulls
        if "max_null_share" in rule and nulls / max(len(col), 1) > rule["max_null_share"]:
            broken[f"null_share {name}"] = nulls
        if "allowed" in rule and (n := int((~present.astype(str).isin(rule["allowed"])).sum())):
            broken[f"allowed {name}"] = n
        if rule.get("unique") and (n := int(present.duplicated().sum())):
            broken[f"unique {name}"] = n
    return broken


def drift(base, current):
    drifted = {}
    for name in current.columns:
        if name not in base:
            continue
        a, b = base[name].dropna(), current[name].dropna()
        numeric = pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a)
        if numeric and a.nunique() > 5:
            score = stats.wasserstein_distance(a, b) / np.std(a)
        else:
            keys = sorted(set(a.astype(str)) | set(b.astype(str)))
            pa = a.astype(str).value_counts().reindex(keys, fill_value=0).to_numpy() / len(a)
            pb = b.astype(str).value_counts().reindex(keys, fill_value=0).to_numpy() / len(b)
            score = jensenshannon(pa, pb)
        if score >= 0.1:
            drifted[name] = float(score)
    return drifted


def diff(base, current):
    before = pd.util.hash_pandas_object(base, index=False).value_counts()
    now = pd.util.hash_pandas_object(current, index=False).value_counts()
    joined = pd.concat([before, now], axis=1).fillna(0)
    added = int((joined.iloc[:, 1] - joined.iloc[:, 0]).clip(lower=0).sum())
    removed = int((joined.iloc[:, 0] - joined.iloc[:, 1]).clip(lower=0).sum())
    summary = {c: current[c].describe().to_dict() for c in current.columns}
    return {"added": added, "removed": removed, "summarised": len(summary)}


def main():
    root = Path(sys.argv[1])
    t0 = time.perf_counter()
    config = tomllib.loads((root / "mlops-ci.toml").read_text())
    suite = config["suite"][0]
    base = pd.read_csv(root / "base.csv")
    current = pd.read_csv(root / suite["data"]["path"])
    loaded = time.perf_counter() - t0
    result = {
        "contract": contract(current, suite["data"]["schema"]),
        "drift": drift(base, current),
        "diff": diff(base, current),
        "load_csv_s": round(loaded, 2),
        "total_s": round(time.perf_counter() - t0, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
