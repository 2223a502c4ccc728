#!/usr/bin/env bash
# Benchmark: `mlops-ci data check` (contract, drift and diff) against the pandas + scipy script
# a team would write for the same checks (bench/reference_data_validation.py), on synthetic
# CSVs of two sizes (base and candidate of SIZE MB each), alternating the tools. Prints wall
# seconds, MB/s over both files, peak RSS, and the ratio.
#
#   bash bench/data.sh              # 256 MB and 1024 MB per file
#   bash bench/data.sh 64 256       # other sizes (MB)
#   MLOPS_CI_BIN=/path/to/mlops-ci bash bench/data.sh
#
# Needs: cargo, /usr/bin/time, python3 with examples/requirements.txt (pandas, scipy).
# The data goes to target/bench-data-validation (ignored by git); about 2 x SIZE MB per size.
set -euo pipefail

cd "$(dirname "$0")/.."
SIZES=("$@")
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(256 1024)
ROUNDS=${BENCH_ROUNDS:-2}
BIN=${MLOPS_CI_BIN:-target/release/mlops-ci}
ROOT=target/bench-data-validation
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [[ -z ${MLOPS_CI_BIN:-} ]]; then
    cargo build --release --quiet
fi

# timed NAME CMD...: one run; appends "wall_s max_rss_kb" to $WORK/NAME.
timed() {
    local name=$1
    shift
    local rc=0
    /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >"$WORK/$name.stdout" 2>"$WORK/stderr" || rc=$?
    if [[ $rc != 0 && $rc != 1 ]]; then
        echo "!! $name exited $rc: $*" >&2
        tail -n 20 "$WORK/stderr" >&2
        exit 1
    fi
    tail -n 1 "$WORK/time" >>"$WORK/$name"
}

printf '%-8s %-10s %9s %9s %11s\n' size tool "wall s" "MB/s" "peak RSS"
for size in "${SIZES[@]}"; do
    dir=$ROOT/$size
    [[ -f $dir/mlops-ci.toml ]] || python3 bench/make_data_validation.py "$dir" --mb "$size" >/dev/null
    bytes=$(($(stat -c %s "$dir/base.csv") + $(stat -c %s "$dir/candidate.csv")))
    for _ in $(seq "$ROUNDS"); do
        timed "ref-$size" python3 bench/reference_data_validation.py "$dir"
        timed "mlops-$size" "$BIN" data check -C "$dir" --base-file "$dir/base.csv" --format json
    done
    python3 - "$size" "$bytes" "$WORK/ref-$size" "$WORK/mlops-$size" <<'PY'
import sys
size, total = sys.argv[1], int(sys.argv[2])
best = {}
for tool, path in (("pandas", sys.argv[3]), ("mlops-ci", sys.argv[4])):
    runs = [tuple(map(float, l.split())) for l in open(path) if l.strip()]
    wall = min(r[0] for r in runs)
    rss = max(r[1] for r in runs) / 1024
    best[tool] = wall
    print(f"{size + ' MB':<8} {tool:<10} {wall:>9.2f} {total / 1e6 / wall:>9.1f} {rss:>8.0f} MB")
print(f"{size + ' MB':<8} ratio      pandas + scipy / mlops-ci: x{best['pandas'] / best['mlops-ci']:.1f}")
PY
    echo "   mlops-ci: $(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); s=r['suites'][0]['data_validation']; print(len([c for c in s['checks'] if c['outcome']!='pass']), 'broken checks,', [d['column'] for d in s['drift'] if d['drifted']], 'drifted')" "$WORK/mlops-$size.stdout")"
    echo "   pandas:   $(cat "$WORK/ref-$size.stdout")"
done
