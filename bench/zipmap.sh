#!/usr/bin/env bash
# Benchmark: `mlops-ci check` on two skl2onnx models exported with their default ZipMap
# output, against the same models exported with zipmap=False, on 500k rows x 30 features
# (bench/make_zipmap.py). mlops-ci reads a plain ZipMap as its probability tensor
# (src/model/zipmap.rs); the goal is a ZipMap check within 20% of the tensor one.
#
#   bash bench/zipmap.sh                          # from anywhere
#   BENCH_ROWS=100000 BENCH_RUNS=3 bash bench/zipmap.sh
#   MLOPS_CI_BIN=/path/to/mlops-ci bash bench/zipmap.sh        # skip the build, time that binary
#   MLOPS_CI_BIN_BEFORE=/path/to/older/mlops-ci bash bench/zipmap.sh   # also time another build
#
# Runs alternate between the variants so neither gets a warmer cache. Prints each run's wall
# seconds and max RSS (GNU /usr/bin/time), the medians and their ratio, and checks that both
# variants report the same metrics. Data goes to target/bench-zipmap (ignored by git); delete
# it to regenerate (e.g. after changing BENCH_ROWS). Needs python3 with
# examples/requirements.txt. Installs nothing.
set -euo pipefail

cd "$(dirname "$0")/.."
ROWS=${BENCH_ROWS:-500000}
RUNS=${BENCH_RUNS:-5}
DIR=target/bench-zipmap
BIN=${MLOPS_CI_BIN:-target/release/mlops-ci}
BEFORE=${MLOPS_CI_BIN_BEFORE:-}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [[ -z ${MLOPS_CI_BIN:-} ]]; then
    echo "== build"
    cargo build --release --quiet
fi
if [[ ! -f $DIR/data.csv || ! -f $DIR/zipmap/mlops-ci.toml || ! -f $DIR/tensor/mlops-ci.toml ]]; then
    echo "== data: $ROWS rows -> $DIR"
    python3 bench/make_zipmap.py "$DIR" --rows "$ROWS"
fi

# timed NAME BIN VARIANT: one `check`, appending "wall_s max_rss_kb exit" to $WORK/NAME.
# Exit 0 and 1 (a gate failed) are results; anything else is an error.
timed() {
    local name=$1 bin=$2 variant=$3 rc=0
    if [[ -x /usr/bin/time ]]; then
        /usr/bin/time -f '%e %M' -o "$WORK/time" \
            "$bin" check --all -C "$DIR/$variant" --format json --output "$WORK/$name.json" \
            >/dev/null 2>"$WORK/stderr" || rc=$?
        echo "$(tail -n 1 "$WORK/time") $rc" >>"$WORK/$name"
    else
        local t0 t1
        t0=$(date +%s.%N)
        "$bin" check --all -C "$DIR/$variant" --format json --output "$WORK/$name.json" \
            >/dev/null 2>"$WORK/stderr" || rc=$?
        t1=$(date +%s.%N)
        echo "$(python3 -c "print(f'{$t1 - $t0:.2f}')") 0 $rc" >>"$WORK/$name"
    fi
    if [[ $rc != 0 && $rc != 1 ]]; then
        echo "!! $name exited $rc" >&2
        tail -n 20 "$WORK/stderr" >&2
        exit 2
    fi
}

echo "== $(($(wc -l <"$DIR/data.csv") - 1)) rows, $RUNS runs each, alternating"
for _ in $(seq "$RUNS"); do
    timed tensor "$BIN" tensor
    timed zipmap "$BIN" zipmap
    if [[ -n $BEFORE ]]; then
        timed before-tensor "$BEFORE" tensor
        timed before-zipmap "$BEFORE" zipmap
    fi
done

python3 - "$WORK" "$BEFORE" <<'PY'
import json, statistics, sys
work, before = sys.argv[1], sys.argv[2]
names = ["tensor", "zipmap"] + (["before-tensor", "before-zipmap"] if before else [])

def runs(name):
    return [l.split() for l in open(f"{work}/{name}") if l.strip()]

def median_wall(name):
    return statistics.median(float(r[0]) for r in runs(name))

print(f"\n{'variant':<16} {'median':>8} {'max RSS':>10}   runs (s)")
for name in names:
    r = runs(name)
    rss = statistics.median(int(x[1]) for x in r) / 1024
    each = " ".join(f"{float(x[0]):.2f}" for x in r)
    print(f"{name:<16} {median_wall(name):>7.2f}s {rss:>8.1f}MB   {each}")
print(f"\nzipmap / tensor: x{median_wall('zipmap') / median_wall('tensor'):.3f} (goal: at most x1.20)")
if before:
    print(f"before: zipmap / tensor: x{median_wall('before-zipmap') / median_wall('before-tensor'):.3f}")

# Same models, same data: the metrics must not depend on how the probabilities were read.
def metrics(name):
    suite = json.load(open(f"{work}/{name}.json"))["suites"][0]
    return {
        m["metric"]: (m["candidate"], m["baseline"])
        for m in suite["metrics"]
        if not m["metric"].startswith(("latency", "throughput", "model_size"))
    }
a, b = metrics("tensor"), metrics("zipmap")
diff = {k: (a[k], b.get(k)) for k in a if a[k] != b.get(k)}
print("metrics identical in both variants" if not diff else f"!! metrics differ: {diff}")
PY
