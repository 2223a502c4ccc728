#!/usr/bin/env bash
# GPU check: run the examples and a 1M-row benchmark on the GPU and on the CPU with the same
# ONNX Runtime, check that the metrics agree, and print one compact summary.
#
#   bash scripts/gpu-check.sh                              # provisions onnxruntime-gpu with pip
#   bash scripts/gpu-check.sh --ort-gpu-dir /opt/ort-gpu   # offline: a pre-unpacked GPU runtime
#   bash scripts/gpu-check.sh --device cpu                 # the same checks, CPU against CPU
#
# Options:
#   --ort-gpu-dir DIR   holds libonnxruntime.so.<version>, libonnxruntime_providers_shared.so
#                       and libonnxruntime_providers_cuda.so from the onnxruntime-gpu wheel;
#                       without it, `mlops-ci runtime install --gpu` installs them (network).
#                       The CUDA/cuDNN libraries are found by mlops-ci itself: beside the runtime
#                       in a site-packages, in the site-packages of the python3 on PATH (the
#                       nvidia-* wheels), MLOPS_CI_CUDA_LIBS, or the system library paths.
#   --device D          cuda (default), tensorrt, auto or cpu.
#   --rows N            benchmark rows (default 1000000).
#   --data FILE         benchmark data (.npz with X and y) instead of generating it with numpy.
#   --batch-size N      batch size of every run (default 16384).
#   --keep DIR          keep the JSON reports and the generated data in DIR.
# Environment: MLOPS_CI_BIN, a prebuilt binary (else target/release, then target/debug, then
# `cargo build --release`). Needs python3 with numpy (for the data and the comparison).
#
# Metrics must agree within TOLERANCE (absolute, 1e-4): GPU kernels sum in another order, so
# probabilities differ in the last float32 bits, which moves log_loss/roc_auc by ~1e-7 and can
# flip an argmax tie in a handful of rows. Timing metrics are not compared.
# Exit status: 0 all agree, 1 a metric differs or the GPU was not used, 2 a run failed.
set -euo pipefail

cd "$(dirname "$0")/.."
ORT_GPU_DIR=""
DEVICE=cuda
ROWS=1000000
DATA=""
BATCH=16384
KEEP=""
TOLERANCE=1e-4
while [[ $# -gt 0 ]]; do
    case $1 in
    --ort-gpu-dir) ORT_GPU_DIR=$2; shift 2 ;;
    --device) DEVICE=$2; shift 2 ;;
    --rows) ROWS=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --batch-size) BATCH=$2; shift 2 ;;
    --keep) KEEP=$2; shift 2 ;;
    -h | --help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
die() { echo "gpu-check: $*" >&2; exit 2; }

if [[ -n $KEEP ]]; then
    mkdir -p "$KEEP"
    WORK=$(cd "$KEEP" && pwd)
else
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
fi

# --- the binary
BIN=${MLOPS_CI_BIN:-}
if [[ -z $BIN ]]; then
    for candidate in target/release/mlops-ci target/debug/mlops-ci; do
        [[ -x $candidate ]] && { BIN=$candidate; break; }
    done
fi
if [[ -z $BIN ]]; then
    command -v cargo >/dev/null || die "no mlops-ci binary: set MLOPS_CI_BIN or install cargo"
    cargo build --release --quiet
    BIN=target/release/mlops-ci
fi
[[ -x $BIN ]] || die "MLOPS_CI_BIN=$BIN is not an executable"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

# --- the ONNX Runtime library: the GPU build for both runs, so only the device differs
if [[ -n $ORT_GPU_DIR ]]; then
    [[ -d $ORT_GPU_DIR ]] || die "--ort-gpu-dir $ORT_GPU_DIR is not a directory"
    ORT_LIB=$(find "$ORT_GPU_DIR" -maxdepth 1 -name 'libonnxruntime.so.*.*' | sort | tail -n 1)
    [[ -n $ORT_LIB ]] || die "no libonnxruntime.so.<version> in $ORT_GPU_DIR"
    for lib in libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so; do
        [[ -f $ORT_GPU_DIR/$lib ]] || die "$ORT_GPU_DIR has no $lib (copy it from the onnxruntime-gpu wheel's onnxruntime/capi/)"
    done
elif [[ $DEVICE == cpu ]]; then
    ORT_LIB=${MLOPS_CI_ORT_LIB:-$("$BIN" runtime install)}
else
    echo "== provisioning onnxruntime-gpu with CUDA and cuDNN (pip, ~1.3 GB, cached)"
    ORT_LIB=$("$BIN" runtime install --gpu)
fi
export MLOPS_CI_ORT_LIB=$ORT_LIB
export ORT_DISABLE_TELEMETRY=1

echo "== doctor"
"$BIN" doctor | grep -E '^(onnxruntime|providers|device|gpu|cuda|nvidia) ' || true

# run NAME DEVICE ARGS...: one mlops-ci run writing $WORK/NAME.json; its wall seconds go to
# $WORK/NAME.wall. Exit 0 and 1 (a gate failed) are results; anything else stops the check.
run() {
    local name=$1 device=$2
    shift 2
    local start end rc=0
    start=$(date +%s.%N)
    "$BIN" "$@" --device "$device" --format json --output "$WORK/$name.json" \
        >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    end=$(date +%s.%N)
    echo "$start $end" | awk '{printf "%.2f\n", $2 - $1}' >"$WORK/$name.wall"
    if [[ $rc -gt 1 ]]; then
        echo "gpu-check: \`mlops-ci $*\` on $device exited $rc:" >&2
        tail -n 15 "$WORK/$name.out" "$WORK/$name.err" >&2
        exit 2
    fi
}

echo "== examples on $DEVICE and cpu"
pairs=()
for dir in examples/*/; do
    dir=${dir%/}
    [[ -f $dir/mlops-ci.toml ]] || continue
    name=${dir#examples/}
    run "$name-$DEVICE" "$DEVICE" check --all -C "$dir"
    run "$name-cpu" cpu check --all -C "$dir"
    pairs+=("$name")
done

echo "== benchmark data"
if [[ -z $DATA ]]; then
    DATA=$WORK/bench-$ROWS.npz
    if [[ ! -f $DATA ]]; then
        python3 scripts/gpu-check/make_data.py "$DATA" --rows "$ROWS" ||
            die "cannot generate the benchmark data (python3 with numpy needed), or pass --data"
    fi
fi
[[ -f $DATA ]] || die "--data $DATA does not exist"
# A config of its own: the bootstrap statistics are off ([statistics] resamples = 0), so the
# timings are inference and I/O, not 2,000 resamples of a million rows.
DATA=$(cd "$(dirname "$DATA")" && pwd)/$(basename "$DATA")
mkdir -p "$WORK/bench"
cat >"$WORK/bench/mlops-ci.toml" <<TOML
[baseline]
path = "$PWD/scripts/gpu-check/baseline.onnx"

[runtime]
batch_size = $BATCH

[statistics]
resamples = 0

[[suite]]
name = "bench"
model = "$PWD/scripts/gpu-check/candidate.onnx"
task = "classification"

[suite.data]
path = "$DATA"
label = "y"

[[suite.gate]]
metric = "accuracy"
min = 0.5
TOML
bench=(check --all -C "$WORK/bench")
echo "== benchmark: $ROWS rows, batch $BATCH, cpu then $DEVICE then cpu then $DEVICE"
# Interleaved, twice each: the first run of a device pays for loading CUDA and cuDNN.
run bench-cpu-1 cpu "${bench[@]}"
run "bench-$DEVICE-1" "$DEVICE" "${bench[@]}"
run bench-cpu cpu "${bench[@]}"
run "bench-$DEVICE" "$DEVICE" "${bench[@]}"
pairs+=(bench)

python3 - "$WORK" "$DEVICE" "$TOLERANCE" "${pairs[@]}" <<'PY'
import json, sys
work, device, tolerance, names = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:]
ORT = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider", "tensorrt": "TensorrtExecutionProvider"}
TIMING = ("latency_", "throughput_")
load = lambda n: json.load(open(f"{work}/{n}.json"))
wall = lambda n: float(open(f"{work}/{n}.wall").read())

problems = []
gpu_report = load(f"bench-{device}")
rt = gpu_report.get("runtime") or {}
used = rt.get("execution_provider", "none")
print()
print(f"onnxruntime  {rt.get('onnxruntime_version')}  {rt.get('library')}")
print(f"provider     {ORT.get(used, used)} (device = {device})")
gpu = rt.get("gpu")
if gpu:
    print(f"gpu          {gpu['name']}, {gpu.get('memory_mib', 0)} MiB, driver {gpu.get('driver_version') or '?'}, "
          f"driver CUDA {gpu['cuda_driver_version']}, CUDA runtime {gpu.get('cuda_runtime_version') or '?'}, "
          f"cuDNN {gpu.get('cudnn_version') or 'not loaded'}")
elif device != "cpu":
    problems.append("the report names no GPU")
if device in ("cuda", "tensorrt") and used != device:
    problems.append(f"ran on {used}, not {device}")
for note in rt.get("device_note") and [rt["device_note"]] or []:
    print(f"note         {note}")

print(f"\nmetrics: {device} vs cpu, every quality metric of both models, |difference| <= {tolerance:g}")
for name in names:
    a, b = load(f"{name}-cpu"), load(f"{name}-{device}")
    compared, worst, shown = 0, (0.0, "-"), []
    for sa, sb in zip(a["suites"], b["suites"]):
        if sa.get("error") or sb.get("error"):
            problems.append(f"{name}: {sa.get('error') or sb.get('error')}")
            continue
        rows = {m["metric"]: m for m in sb["metrics"]}
        for ma in sa["metrics"]:
            mb = rows.get(ma["metric"])
            if mb is None or ma["metric"].startswith(TIMING) or ma["metric"] == "model_size_bytes":
                continue
            for side in ("candidate", "baseline"):
                x, y = ma.get(side), mb.get(side)
                if x is None and y is None:
                    continue
                compared += 1
                diff = abs(x - y) if x is not None and y is not None else float("inf")
                worst = max(worst, (diff, f"{ma['metric']} ({side})"))
                if diff > tolerance:
                    problems.append(f"{name} {ma['metric']} ({side}): cpu {x} vs {device} {y}")
                if side == "candidate" and ma["metric"] in ("accuracy", "log_loss", "rmse"):
                    shown.append(f"{ma['metric']} {y:.6f}")
        for note in sb.get("notes", []):
            if "execution provider" in note:
                print(f"  note ({name}): {note}")
    print(f"  {name:<14} {compared:>3} values, max |diff| {worst[0]:.1e} ({worst[1]}); candidate {', '.join(shown)}")

def timing(n):
    t = load(n)["suites"][0]["timing"]
    return wall(n), t["candidate"]["inference_seconds"] + t["baseline"]["inference_seconds"]
rows = load("bench-cpu")["suites"][0]["data"]["rows"]
(cw, ci), (gw, gi) = timing("bench-cpu"), timing(f"bench-{device}")
(cw1, _), (gw1, _) = timing("bench-cpu-1"), timing(f"bench-{device}-1")
print(f"\nbenchmark: {rows} rows x 2 models (MLP, standard ONNX ops)")
print(f"  {'':<6} {'wall (1st run)':>15} {'wall':>8} {'inference':>10}")
print(f"  {'cpu':<6} {cw1:>13.2f} s {cw:>6.2f} s {ci:>8.3f} s")
print(f"  {device:<6} {gw1:>13.2f} s {gw:>6.2f} s {gi:>8.3f} s")
print(f"  inference speed-up {device} vs cpu: x{ci / gi:.2f}; wall x{cw / gw:.2f}")
print()
if problems:
    print("GPU CHECK FAILED:")
    for p in problems:
        print(f"  - {p}")
    sys.exit(1)
print(f"GPU CHECK PASSED: {len(names)} cases agree on {device} and cpu within {tolerance:g}")
PY
