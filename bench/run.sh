#!/usr/bin/env bash
# Benchmark: `mlops-ci check` against the Python script a user would write
# (bench/reference_eval.py), on a synthetic 1M-row binary classification case, plus
# `check` on each example. Prints wall seconds and max RSS of each run, and the ratios.
#
#   bash bench/run.sh                       # from anywhere; works in the repository root
#   BENCH_ROWS=100000 BENCH_RUNS=5 bash bench/run.sh
#   MLOPS_CI_BIN=/path/to/mlops-ci bash bench/run.sh   # skip the build, time that binary
#
# Needs: cargo, /usr/bin/time (else it falls back to Python's resource module), python3 with
# examples/requirements.txt installed. Installs nothing.
# The synthetic data (~150 MB at 1M rows) goes to target/bench-data, ignored by git; delete
# that folder to regenerate it (e.g. after changing BENCH_ROWS).
set -euo pipefail

cd "$(dirname "$0")/.."
ROWS=${BENCH_ROWS:-1000000}
RUNS=${BENCH_RUNS:-3}
DATA_DIR=target/bench-data
BIN=${MLOPS_CI_BIN:-target/release/mlops-ci}   # set MLOPS_CI_BIN to time another build
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

# timed NAME CMD... : run CMD once; append "wall_s max_rss_kb exit_code" to $WORK/NAME and
# keep its stdout in $WORK/NAME.stdout. Exit 0 (pass) and 1 (a gate failed) are both
# results; anything else is an error, shown with the end of its stderr.
timed() {
    local name=$1
    shift
    local rc=0
    if [[ -x /usr/bin/time ]]; then
        /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >"$WORK/$name.stdout" 2>"$WORK/stderr" || rc=$?
        # on failure GNU time writes "Command exited with non-zero status N" first: last line
        echo "$(tail -n 1 "$WORK/time") $rc" >>"$WORK/$name"
    else
        python3 - "$WORK/$name" "$@" >"$WORK/$name.stdout" 2>"$WORK/stderr" <<'PY' || rc=$?
import resource, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
rc = subprocess.call(cmd)
wall = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KB on Linux
with open(out, "a") as fh:
    fh.write(f"{wall:.2f} {rss} {rc}\n")
sys.exit(rc)
PY
    fi
    if [[ $rc != 0 && $rc != 1 ]]; then
        echo "!! $name exited $rc: $*" >&2
        tail -n 20 "$WORK/stderr" >&2
    fi
}

# row NAME : one table line: median wall, median max RSS, each run's wall, exit codes
row() {
    python3 - "$1" "$WORK/$1" <<'PY'
import statistics, sys
name, path = sys.argv[1], sys.argv[2]
runs = [line.split() for line in open(path) if line.strip()]
walls = [float(r[0]) for r in runs]
rss = [int(r[1]) for r in runs]
codes = ",".join(sorted({r[2] for r in runs}))
each = " ".join(f"{w:.2f}" for w in walls)
print(f"{name:<24} {statistics.median(walls):>8.2f} s {statistics.median(rss) / 1024:>9.1f} MB"
      f"   runs: {each} s   exit: {codes}")
PY
}

# ratio A B : median wall and max RSS of A divided by those of B
ratio() {
    python3 - "$WORK/$1" "$WORK/$2" "$1" "$2" <<'PY'
import statistics, sys
def med(path, col):
    return statistics.median(float(l.split()[col]) for l in open(path) if l.strip())
a, b, na, nb = sys.argv[1:]
print(f"{na} / {nb}: wall x{med(a, 0) / med(b, 0):.2f}, max RSS x{med(a, 1) / med(b, 1):.2f}")
PY
}

echo "== synthetic: $(($(wc -l <"$DATA_DIR/data.csv") - 1)) rows, $RUNS runs each"
rm -f /tmp/mlops.json
for _ in $(seq "$RUNS"); do
    timed mlops-ci "$BIN" check --all -C "$DATA_DIR" --format json --output /tmp/mlops.json
    timed python-reference python3 bench/reference_eval.py "$DATA_DIR" --batch-size 4096
done

echo "== examples: $RUNS runs each"
cases=()
for dir in examples/*/; do
    dir=${dir%/}
    [[ -f $dir/mlops-ci.toml ]] || continue
    cases+=("${dir#examples/}")
    for _ in $(seq "$RUNS"); do
        timed "check-${dir#examples/}" "$BIN" check --all -C "$dir"
    done
done

echo
printf '%-24s %10s %12s\n' "command" "wall" "max RSS"
row mlops-ci
row python-reference
for case in "${cases[@]}"; do
    row "check-$case"
done
echo
ratio python-reference mlops-ci
python3 - "$WORK/python-reference.stdout" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit("!! the reference script printed no JSON")
parts = ", ".join(f"{m} {r[m]['raw_ort_inference_s']:.2f} s" for m in ("candidate", "baseline"))
print(f"reference (last run): pure ONNX Runtime inference: {parts}; CSV load {r['load_csv_s']:.2f} s")
PY
if [[ -f /tmp/mlops.json ]]; then
    python3 - /tmp/mlops.json <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["suites"][0]["timing"]
parts = ", ".join(f"{m} {t[m]['inference_seconds']:.2f} s" for m in ("candidate", "baseline"))
print(f"mlops-ci (last run): pure ONNX Runtime inference: {parts} ({t['candidate']['batches']} batches of {t['batch_size']})")
PY
    echo "mlops-ci's JSON report of the last run: /tmp/mlops.json"
else
    echo "!! mlops-ci wrote no /tmp/mlops.json" >&2
fi
