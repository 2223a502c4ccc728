#!/usr/bin/env bash
# Acceptance check of issue 8: a 5M-row run of two probability-output models (skl2onnx
# LogisticRegression, zipmap=False) with a few float32 probabilities of 1.0000001 must report
# the log_loss scikit-learn computes on the probabilities clipped to [0, 1]. Slow (data
# generation and the Python reference take minutes); run it by hand.
#
#   bash bench/probability_clip.sh
#   BENCH_ROWS=1000000 bash bench/probability_clip.sh
#   MLOPS_CI_BIN=/path/to/mlops-ci bash bench/probability_clip.sh   # skip the build
#
# Data goes to target/bench-probability-clip (ignored by git); delete it to regenerate.
# Needs python3 with examples/requirements.txt. Installs nothing. Exit 1 when mlops-ci's
# log_loss or roc_auc differs from scikit-learn's by more than 1e-9.
set -euo pipefail

cd "$(dirname "$0")/.."
ROWS=${BENCH_ROWS:-5000000}
DIR=target/bench-probability-clip
BIN=${MLOPS_CI_BIN:-target/release/mlops-ci}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [[ -z ${MLOPS_CI_BIN:-} ]]; then
    echo "== build"
    cargo build --release --quiet
fi
if [[ ! -f $DIR/data.csv || ! -f $DIR/mlops-ci.toml ]]; then
    echo "== data: $ROWS rows -> $DIR"
    python3 bench/make_probability_clip.py "$DIR" --rows "$ROWS"
fi

echo "== scikit-learn on ONNX Runtime's probabilities, clipped to [0, 1]"
python3 bench/make_probability_clip.py "$DIR" --reference >"$WORK/reference.json"
echo "== mlops-ci check"
rc=0
/usr/bin/env time -f '%e s, %M KB max RSS' "$BIN" check --all -C "$DIR" --format json \
    --output "$WORK/report.json" >/dev/null 2>"$WORK/stderr" || rc=$?
tail -n 1 "$WORK/stderr"
if [[ $rc != 0 && $rc != 1 ]]; then
    echo "!! mlops-ci exited $rc" >&2
    cat "$WORK/stderr" >&2
    exit 2
fi

python3 - "$WORK/reference.json" "$WORK/report.json" <<'PY'
import json, sys
ref = json.load(open(sys.argv[1]))
suite = json.load(open(sys.argv[2]))["suites"][0]
metric = {m["metric"]: m for m in suite["metrics"]}
worst = 0.0
print(f"{ref['rows']} rows")
for role in ("candidate", "baseline"):
    r = ref[role]
    print(f"{role}: {r['outside_0_1']} probabilities outside [0, 1] (largest {r['largest']!r})")
    for name in ("log_loss", "roc_auc"):
        got, want = metric[name][role], r[name]
        worst = max(worst, abs(got - want))
        print(f"  {name:<9} mlops-ci {got:.12f}   scikit-learn (clipped) {want:.12f}   |diff| {abs(got - want):.2e}")
    print(f"  log_loss if the probabilities were softmaxed (the old value test): {r['log_loss_if_softmaxed']:.6f}")
for note in suite["notes"]:
    if "probabilities of output" in note or "softmax" in note:
        print(f"note: {note}")
print("OK: same as scikit-learn on clipped probabilities" if worst <= 1e-9 else f"!! differs by {worst:.3e}")
sys.exit(0 if worst <= 1e-9 else 1)
PY
