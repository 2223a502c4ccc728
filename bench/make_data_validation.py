"""Synthetic data for bench/data.sh: `base.csv` and `candidate.csv` of about SIZE MB each and a
`mlops-ci.toml` whose suite holds the data contract both tools check.

    python3 bench/make_data_validation.py OUT_DIR --mb 1024

Columns: a unique `id`, 12 floats (normal, various scales), 3 ints, two categoricals (5 and 30
values), a bool and a 3-class `label`. The candidate has `f0` shifted by 0.1 std and 0.01% of
`f1` missing. Written in chunks: memory stays flat whatever the size.
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

CHUNK = 200_000
SCALES = [1, 10, 100, 0.1, 5, 50, 2, 20, 0.5, 3, 1000, 7]
CITIES = [f"city_{i:02}" for i in range(30)]
COLORS = ["red", "green", "blue", "black", "white"]


def chunk(rng, start, n, candidate):
    frame = {"id": np.arange(start, start + n)}
    for i, scale in enumerate(SCALES):
        values = rng.normal(0, scale, n)
        if candidate and i == 0:
            values += 0.1 * scale
        frame[f"f{i}"] = np.round(values, 4)
    for i in range(3):
        frame[f"n{i}"] = rng.integers(0, 10 ** (i + 2), n)
    frame["color"] = rng.choice(COLORS, n)
    frame["city"] = rng.choice(CITIES, n)
    frame["flag"] = rng.random(n) < 0.3
    frame["label"] = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    frame = pd.DataFrame(frame)
    if candidate:
        frame.loc[rng.random(n) < 0.0001, "f1"] = np.nan
    return frame


def write(path, mb, seed, candidate):
    rng = np.random.default_rng(seed)
    target = mb * 1_000_000
    start = 0
    with open(path, "w", newline="") as out:
        while out.tell() < target:
            chunk(rng, start, CHUNK, candidate).to_csv(out, index=False, header=start == 0)
            start += CHUNK
    return start


CONFIG = """[[suite]]
name = "bench"
model = "model.onnx"
task = "classification"

[suite.data]
path = "candidate.csv"
label = "label"

[suite.data.schema]
min_rows = 1000
max_duplicate_rows = 0

[suite.data.schema.columns.id]
type = "int"
nullable = false
unique = true
{floats}{ints}
[suite.data.schema.columns.color]
type = "string"
nullable = false
allowed = {colors}

[suite.data.schema.columns.city]
type = "string"
nullable = false
allowed = {cities}

[suite.data.schema.columns.flag]
type = "bool"
nullable = false

[suite.data.schema.columns.label]
type = "string"
nullable = false
allowed = ["a", "b", "c"]

[suite.drift]
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--mb", type=int, default=256)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = write(args.out / "base.csv", args.mb, 1, candidate=False)
    write(args.out / "candidate.csv", args.mb, 2, candidate=True)
    floats = "".join(
        f"\n[suite.data.schema.columns.f{i}]\ntype = \"float\"\n"
        + ("max_null_share = 0.001\n" if i == 1 else "nullable = false\n")
        + f"min = {-10 * s}\nmax = {10 * s}\n"
        for i, s in enumerate(SCALES)
    )
    ints = "".join(
        f"\n[suite.data.schema.columns.n{i}]\ntype = \"int\"\nnullable = false\nmin = 0\nmax = {10 ** (i + 2)}\n"
        for i in range(3)
    )
    (args.out / "mlops-ci.toml").write_text(
        CONFIG.format(floats=floats, ints=ints, colors=str(COLORS).replace("'", '"'),
                      cities=str(CITIES).replace("'", '"'))
    )
    print(f"{args.out}: base.csv and candidate.csv, about {rows} rows and {args.mb} MB each")


if __name__ == "__main__":
    main()
