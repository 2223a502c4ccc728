#!/usr/bin/env bash
# Benchmark: `mlops-ci detect` when nothing relevant changed, against `git diff --name-only
# <base>`, on a synthetic repository of 100,000 files and 10,000 commits (made with
# `git fast-import` in a few seconds). Target: detect within 2x of git and under 100 ms.
#
#   bash bench/detect.sh                          # from anywhere
#   BENCH_FILES=20000 BENCH_COMMITS=2000 bash bench/detect.sh
#   MLOPS_CI_BIN=/path/to/mlops-ci bash bench/detect.sh   # skip the build, time that binary
#   BENCH_DETECT_DIR=/tmp/repo BENCH_NO_HYPERFINE=1 ...   # another place; the plain timing loop
#
# Rows timed, all in the same repository, HEAD on a feature branch whose commits and working
# tree touch no suite's paths (a README edit, an untracked file):
#   git diff --name-only BASE          the reference
#   mlops-ci detect --base BASE        the same question plus suite matching
#   mlops-ci detect                    base found automatically (merge-base with main)
#   mlops-ci check (nothing affected)  the same decision, then the one-line exit
#   mlops-ci detect (full-tree glob)   a suite watching `**/*.py`, so the whole working tree
#                                      is walked for untracked files (git diff never does)
#   git status --porcelain             the reference for that walk
# Uses hyperfine when installed (apt-get install hyperfine), else a loop of runs timed with
# `date +%s%N` and the median printed. The repository goes to target/bench-detect (ignored by
# git) and is reused; delete it and target/bench-detect.done to regenerate (e.g. after
# changing BENCH_FILES).
set -euo pipefail

cd "$(dirname "$0")/.."
FILES=${BENCH_FILES:-100000}
COMMITS=${BENCH_COMMITS:-10000}
RUNS=${BENCH_RUNS:-20}
REPO=${BENCH_DETECT_DIR:-target/bench-detect}
BIN=${MLOPS_CI_BIN:-target/release/mlops-ci}

if [[ -z ${MLOPS_CI_BIN:-} ]]; then
    echo "== build"
    cargo build --release --quiet
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

# Keep the developer's git configuration out of both sides.
export GIT_CONFIG_NOSYSTEM=1 HOME=$PWD/target/bench-detect-home
mkdir -p "$HOME"
git config --global user.name bench
git config --global user.email bench@example.com
unset GITHUB_BASE_REF GITHUB_ACTIONS

if [[ ! -f $REPO.done ]]; then
    echo "== synthetic repository: $FILES files, $COMMITS commits -> $REPO"
    rm -rf "$REPO" "$REPO.done"
    git init -q -b main "$REPO"
    start=$(date +%s)
    python3 - "$FILES" "$COMMITS" <<'PY' | git -C "$REPO" fast-import --quiet
import random, sys

files, commits = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
random.seed(7)
per_dir = 100
paths = [f"src/pkg{i // per_dir:04d}/module{i % per_dir:03d}.py" for i in range(files - 4)]
config = b"""[[suite]]
name = "iris"
model = "models/iris.onnx"
task = "classification"
watch = ["features/**"]

[suite.data]
path = "data/iris.csv"
label = "species"
"""
fullscan = config.replace(b'watch = ["features/**"]', b'watch = ["features/**", "**/*.py"]')
fixed = {"mlops-ci.toml": config, "mlops-ci-fullscan.toml": fullscan,
         "models/iris.onnx": b"not really onnx\n", "data/iris.csv": b"a,species\n1,x\n"}

def data(content: bytes):
    out.write(b"data %d\n" % len(content))
    out.write(content)
    out.write(b"\n")

def commit(n: int, branch: str, changes):
    out.write(f"commit refs/heads/{branch}\n".encode())
    out.write(f"committer bench <bench@example.com> {1700000000 + n} +0000\n".encode())
    data(f"commit {n}".encode())  # each commit continues its branch: no `from` needed
    for path, content in changes:
        out.write(f"M 100644 inline {path}\n".encode())
        data(content)

commit(0, "main", [(p, f"# {p}\nVALUE = 0\n".encode()) for p in paths] + list(fixed.items()))
for n in range(1, commits - 3):
    p = random.choice(paths)
    commit(n, "main", [(p, f"# {p}\nVALUE = {n}\n".encode())])
# The feature branch: three commits that touch no suite's paths.
out.write(b"reset refs/heads/feature\nfrom refs/heads/main\n\n")
for n in range(commits - 3, commits):
    commit(n, "feature", [("README.md", f"notes {n}\n".encode())])
out.write(b"done\n")
PY
    git -C "$REPO" checkout -q feature
    echo "scratch notes" > "$REPO/notes.txt"            # untracked, irrelevant
    echo "# edited" >> "$REPO/README.md"                # unstaged, irrelevant
    # Let timestamps age past the index's, so neither tool re-reads racily-clean files.
    sleep 2
    git -C "$REPO" update-index -q --refresh
    touch "$REPO.done"
    echo "   built in $(( $(date +%s) - start )) s"
fi

BASE=$(git -C "$REPO" merge-base HEAD main)
echo "== repository: $(git -C "$REPO" ls-files | wc -l) tracked files, $(git -C "$REPO" rev-list --count HEAD) commits; base ${BASE:0:10}"
echo "== outputs"
echo "   git diff --name-only: $(git -C "$REPO" diff --name-only "$BASE" | tr '\n' ' ')"
echo "   mlops-ci detect:      $("$BIN" -C "$REPO" detect)"
echo "   full-tree glob:       $("$BIN" -C "$REPO" --config mlops-ci-fullscan.toml detect)"

declare -a NAMES=(
    "git diff --name-only BASE"
    "mlops-ci detect --base BASE"
    "mlops-ci detect"
    "mlops-ci check (nothing affected)"
    "mlops-ci detect (full-tree glob)"
    "git status --porcelain"
)
declare -a COMMANDS=(
    "git -C $REPO diff --name-only $BASE"
    "$BIN -C $REPO detect --base $BASE"
    "$BIN -C $REPO detect"
    "$BIN -C $REPO check"
    "$BIN -C $REPO --config mlops-ci-fullscan.toml detect"
    "git -C $REPO status --porcelain"
)

echo "== timing ($RUNS runs each, after warm-up)"
if command -v hyperfine >/dev/null && [[ -z ${BENCH_NO_HYPERFINE:-} ]]; then
    args=()
    for i in "${!NAMES[@]}"; do
        args+=(-n "${NAMES[$i]}" "${COMMANDS[$i]}")
    done
    hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$REPO.json" "${args[@]}" >/dev/null
    python3 - "$REPO.json" <<'PY'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
git = statistics.median(results[0]["times"]) * 1000
print(f"   {'command':34} {'median ms':>10} {'min ms':>8} {'vs git':>7}")
for r in results:
    median = statistics.median(r["times"]) * 1000
    print(f"   {r['command']:34} {median:10.1f} {min(r['times']) * 1000:8.1f} {median / git:6.2f}x")
PY
else
    for i in "${!NAMES[@]}"; do
        for _ in 1 2 3; do ${COMMANDS[$i]} >/dev/null; done
        times=()
        for _ in $(seq "$RUNS"); do
            t0=$(date +%s%N)
            ${COMMANDS[$i]} >/dev/null
            times+=($(( ($(date +%s%N) - t0) / 1000 )))
        done
        median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
        printf '   %-34s %8s ms median\n' "${NAMES[$i]}" "$(awk -v us="$median" 'BEGIN {printf "%.1f", us / 1000}')"
    done
fi
