#!/usr/bin/env bash
# Benchmark: `mlops-ci check` on the synthetic 1M-row × 20-feature case (bench/run.sh's) as CSV
# and as Parquet: wall seconds and max RSS, runs interleaved so both see the same machine.
#
#   bash bench/parquet.sh                    # from anywhere; works in the repository root
#   BENCH_RUNS=5 bash bench/parquet.sh
#   MLOPS_CI_BIN=/path/to/mlops-ci bash bench/parquet.sh   # skip the build, time that binary
#
# Needs: cargo, python3 with pandas and pyarrow. The data (~150 MB CSV, ~170 MB Parquet) goes
# to target/bench-data (ignored by git); delete it to regenerate.
set -euo pipefail

cd "$(dirname "$0")/.."
ROWS=${BENCH_ROWS:-1000000}
RUNS=${BENCH_RUNS:-3}
DATA_DIR=target/bench-data
BIN=${MLOPS_CI_BIN:-target/release/mlops-ci}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [[ -z ${MLOPS_CI_BIN:-} ]]; then
    echo "== build"
    cargo build --release --quiet
fi
if [[ ! -f $DATA_DIR/data.csv || ! -f $DATA_DIR/mlops-ci.toml ]]; then
    echo "== synthetic data: $ROWS rows -> $DATA_DIR"
    python3 bench/make_synthetic.py "$DATA_DIR" --rows "$ROWS"
fi
if [[ ! -f $DATA_DIR/parquet/data.parquet || $DATA_DIR/data.csv -nt $DATA_DIR/parquet/data.parquet ]]; then
    echo "== the same data as Parquet"
    python3 bench/make_parquet.py "$DATA_DIR"
fi

# timed NAME DIR : `check` on DIR once; appends "wall_s max_rss_kb exit_code" to $WORK/NAME.
timed() {
    local name=$1 dir=$2 rc=0
    /usr/bin/time -f '%e %M' -o "$WORK/time" \
        "$BIN" check --all -C "$dir" --format json --output "$WORK/$name.json" \
        >/dev/null 2>"$WORK/stderr" || rc=$?
    echo "$(tail -n 1 "$WORK/time") $rc" >>"$WORK/$name"
    if [[ $rc != 0 && $rc != 1 ]]; then
        echo "!! $name exited $rc" >&2
        tail -n 20 "$WORK/stderr" >&2
    fi
}

echo "== $RUNS runs each, interleaved"
for _ in $(seq "$RUNS"); do
    timed csv "$DATA_DIR"
    timed parquet "$DATA_DIR/parquet"
done

python3 - "$WORK" <<'PY'
import json, statistics, sys
work = sys.argv[1]
med = {}
for name in ("csv", "parquet"):
    runs = [l.split() for l in open(f"{work}/{name}") if l.strip()]
    walls = [float(r[0]) for r in runs]
    rss = [int(r[1]) / 1024 for r in runs]
    med[name] = (statistics.median(walls), statistics.median(rss))
    report = json.load(open(f"{work}/{name}.json"))["suites"][0]
    acc = next(m["candidate"] for m in report["metrics"] if m["metric"] == "accuracy")
    print(f"{name:<8} {med[name][0]:6.2f} s {med[name][1]:8.1f} MB   runs: "
          f"{' '.join(f'{w:.2f}' for w in walls)} s   rows {report['data']['rows']}   accuracy {acc}")
print(f"parquet / csv: wall x{med['parquet'][0] / med['csv'][0]:.2f}, "
      f"max RSS x{med['parquet'][1] / med['csv'][1]:.2f}")
PY
