#!/usr/bin/env bash
# Distribution, end to end and offline (run by .ci/run; slow: one release build, minutes on
# two cores):
#   1. the wheel: `maturin build --release`, installed into a fresh venv, `mlops-ci --version`
#      and an example;
#   2. the action's install script (scripts/install-action.sh) on each of its paths, against a
#      local file server (release assets) and a local package index (the wheel): release asset,
#      a tampered asset (refused), the wheel, and a source build.
# Prints the binary and wheel sizes and the time of `pip install` from the wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tmp=$(mktemp -d)
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "test-dist: FAIL: $*" >&2; exit 1; }

version=$(sed -nE 's/^version *= *"([^"]+)".*/\1/p' Cargo.toml | head -n 1)
target=$(rustc -vV | sed -n 's/^host: //p')
python=${PYTHON:-python3}
"$python" -m pip --version >/dev/null 2>&1 || "$python" -m ensurepip --user >/dev/null
"$python" -m maturin --version >/dev/null 2>&1 || "$python" -m pip install --quiet "maturin>=1.7,<2"

# maturin reads the metadata of every platform's dependencies; fetch them once so that the
# build itself runs offline.
cargo fetch --locked --quiet
start=$SECONDS
"$python" -m maturin build --release --offline --locked --out "$tmp/wheels" >&2
echo "test-dist: maturin build --release took $((SECONDS - start)) s"
wheel=$(ls "$tmp"/wheels/*.whl)
binary=target/release/mlops-ci
echo "test-dist: binary $(stat -c %s "$binary") bytes; wheel $(basename "$wheel") $(stat -c %s "$wheel") bytes"

# 1. The wheel in a fresh venv.
"$python" -m venv "$tmp/venv"
start=$EPOCHREALTIME
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$wheel"
echo "test-dist: pip install of the wheel took $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') s"
"$tmp/venv/bin/mlops-ci" --version | grep -qx "mlops-ci $version" || fail "mlops-ci --version from the wheel"
ort_lib=${MLOPS_CI_ORT_LIB:-$("$tmp/venv/bin/mlops-ci" runtime install | tail -n 1)}
status=0
MLOPS_CI_ORT_LIB=$ort_lib "$tmp/venv/bin/mlops-ci" check --all -C examples/iris --format json \
    --output "$tmp/iris.json" >/dev/null || status=$?
[[ $status == 0 || $status == 1 ]] || fail "check on examples/iris from the wheel exited $status"
grep -q '"name": "iris"' "$tmp/iris.json" || fail "no iris suite in the report"
echo "test-dist: wheel OK (check --all on examples/iris exited $status)"

# 2. The action's install script against local servers.
www=$tmp/www
assets=$www/releases/download/v$version
mkdir -p "$assets" "$www/simple/mlops-ci" "$www/empty/mlops-ci"
archive=mlops-ci-$target.tar.gz
tar -czf "$assets/$archive" -C target/release mlops-ci
(cd "$assets" && sha256sum "$archive" > "$archive.sha256")
tampered=$www/releases/download/v0.0.0-tampered
mkdir -p "$tampered"
cp "$assets/$archive" "$tampered/"
echo "0000000000000000000000000000000000000000000000000000000000000000  $archive" > "$tampered/$archive.sha256"
cp "$wheel" "$www/simple/mlops-ci/"

"$python" -u -m http.server --bind 127.0.0.1 --directory "$www" 0 > "$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do
    port=$(sed -nE 's/.* port ([0-9]+).*/\1/p' "$tmp/server.log" | head -n 1)
    [[ -n "$port" ]] && break
    sleep 0.1
done
[[ -n "${port:-}" ]] || fail "the local file server did not start: $(cat "$tmp/server.log")"
url=http://127.0.0.1:$port

install() { # install DIR [VAR=value...]: runs the script with a fresh BIN_DIR
    local dir=$1
    shift
    env -u VERSION -u RELEASES_URL -u INDEX_URL "$@" TARGET="$target" BIN_DIR="$tmp/$dir/bin" \
        ACTION_PATH="$root" PYTHON="$tmp/venv/bin/python" bash scripts/install-action.sh
}

out=$(install release RELEASES_URL="$url/releases" INDEX_URL="$url/empty")
grep -q "from release v$version" <<<"$out" || fail "release path: $out"
"$tmp/release/bin/mlops-ci" --version >/dev/null
echo "test-dist: install path 1 (release asset, checksum verified) OK"

if out=$(install tampered VERSION=v0.0.0-tampered RELEASES_URL="$url/releases" INDEX_URL="$url/simple" 2>&1); then
    fail "a tampered asset was installed: $out"
fi
grep -q "checksum mismatch" <<<"$out" || fail "tampered asset: $out"
[[ ! -e "$tmp/tampered/bin/mlops-ci" ]] || fail "the tampered binary was left in BIN_DIR"
echo "test-dist: a tampered asset is refused OK"

out=$(install pypi RELEASES_URL="$url/no-such-release" INDEX_URL="$url/simple")
grep -q "from the wheel mlops-ci==$version" <<<"$out" || fail "wheel path: $out"
"$tmp/pypi/bin/mlops-ci" --version >/dev/null
echo "test-dist: install path 2 (wheel from the package index) OK"

out=$(install source RELEASES_URL="$url/no-such-release" INDEX_URL="$url/empty")
grep -q "from source" <<<"$out" || fail "source path: $out"
"$tmp/source/bin/mlops-ci" --version >/dev/null
echo "test-dist: install path 3 (cargo build of the checkout) OK"
