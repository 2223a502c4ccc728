#!/usr/bin/env python3
"""The benchmark's synthetic data as Parquet, beside its CSV (bench/parquet.sh runs this).

    python3 bench/make_parquet.py target/bench-data

Reads OUTDIR/data.csv (written by bench/make_synthetic.py) as pandas reads it (float64
features, int64 label) and writes, under OUTDIR/parquet/ (large: keep it under target/):
  data.parquet     the same table, Snappy-compressed, pyarrow's default row groups
  mlops-ci.toml    the CSV case's config with `path = "data.parquet"` and the models of ../models
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    src = Path(sys.argv[1])
    out = src / "parquet"
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    frame = pd.read_csv(src / "data.csv")
    frame.to_parquet(out / "data.parquet", index=False, compression="snappy")
    config = (src / "mlops-ci.toml").read_text()
    config = config.replace('path = "data.csv"', 'path = "data.parquet"')
    config = config.replace('"models/', '"../models/')
    (out / "mlops-ci.toml").write_text(config)
    size = (out / "data.parquet").stat().st_size
    print(f"{out / 'data.parquet'}: {len(frame)} rows, {size / 2**20:.1f} MiB "
          f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
