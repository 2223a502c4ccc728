#!/usr/bin/env bash
# Latency A/A benchmark: can latency gates be trusted on a noisy shared machine?
#
#   bash bench/latency/aa.sh                     # 20 runs of each case
#   RUNS=5 MLOPS_CI_BIN=/path/to/mlops-ci bash bench/latency/aa.sh
#
# Cases (made by bench/latency/make_cases.py into target/bench-latency):
#   aa-small  the same skl2onnx model in two byte-different files, 171 rows
#   aa-mlp    the same MLP in two byte-different files, 1,024 rows in batches of 64
#   slow-mlp  the MLP against a candidate about 30% slower (a duplicated hidden layer)
# Each config gates `latency_p95_ms max_regression_pct = 50`, `latency_ratio_p50 max = 1.1`
# and `latency_ratio_p95 max = 1.3`. The A/A cases should never fail; slow-mlp should fail
# the p50 ratio gate in most runs. Prints, per case, how often each gate failed and the
# spread of the measured ratios and their intervals.
#
# Needs python3 with numpy and onnx (examples/requirements.txt). Installs nothing. This is a
# benchmark, not a test: its numbers depend on the machine and its load.
set -euo pipefail

cd "$(dirname "$0")/../.."
RUNS=${RUNS:-20}
OUT=target/bench-latency
BIN=${MLOPS_CI_BIN:-target/debug/mlops-ci}
[[ -x $BIN ]] || cargo build --quiet
BIN=$(realpath "$BIN")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 bench/latency/make_cases.py "$OUT"
for case in aa-small aa-mlp slow-mlp; do
    for i in $(seq "$RUNS"); do
        rc=0
        "$BIN" check --all -C "$OUT/$case" --format json --output "$WORK/$case.$i.json" \
            >/dev/null 2>"$WORK/stderr" || rc=$?
        if [[ $rc != 0 && $rc != 1 ]]; then
            echo "!! $case run $i exited $rc" >&2
            tail -n 5 "$WORK/stderr" >&2
        fi
    done
done

python3 - "$WORK" "$RUNS" <<'PY'
import collections, glob, json, os, statistics, sys

work, runs = sys.argv[1], int(sys.argv[2])
for case in ["aa-small", "aa-mlp", "slow-mlp"]:
    reports = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(work, f"{case}.*.json")))]
    fails = collections.Counter()
    verdicts = collections.Counter()
    ratio = collections.defaultdict(list)
    for r in reports:
        suite = r["suites"][0]
        verdicts[suite["verdict"]] += 1
        for g in suite["gates"]:
            if g["outcome"] == "fail":
                fails[f"{g['metric']} {g['rule']} {g['threshold']:g}"] += 1
        for m in suite["metrics"]:
            if m["metric"].startswith("latency_ratio_") and m["candidate"] is not None:
                low, high = m.get("interval") or (float("nan"), float("nan"))
                ratio[m["metric"]].append((m["candidate"], low, high))
        method = suite["timing"]["method"]
    print(f"\n== {case}: {len(reports)} runs, verdicts {dict(verdicts)}, "
          f"{method['rounds']} rounds per run ({method['repeated_rounds']} repeated)")
    gates = [f"{g['metric']} {g['rule']} {g['threshold']:g}" for g in reports[0]["suites"][0]["gates"]]
    for g in gates:
        print(f"   gate {g:<40} failed {fails[g]:>2}/{len(reports)}")
    for name, values in sorted(ratio.items()):
        points = [v[0] for v in values]
        lows = [v[1] for v in values]
        highs = [v[2] for v in values]
        covers = sum(1 for _, lo, hi in values if lo <= 1.0 <= hi)
        print(f"   {name}: ratio min {min(points):.3f} median {statistics.median(points):.3f} "
              f"max {max(points):.3f}; interval low median {statistics.median(lows):.3f}, "
              f"high median {statistics.median(highs):.3f}; holds 1.0 in {covers}/{len(values)}")
PY
