#!/usr/bin/env bash
# Installs the mlops-ci binary for the GitHub Action (action.yml), trying in order:
#   1. the release asset mlops-ci-<target>.tar.gz of the requested version, verified against
#      its published SHA-256 (a mismatch is an error, never a reason to try elsewhere);
#   2. the mlops-ci wheel from the Python package index, with pip;
#   3. a build of the action's own checkout with cargo.
# VERSION=source skips to 3. The base URLs come from the environment so that a test can run
# every path against a local file server and a local package index.
#
# Environment:
#   VERSION        vX.Y.Z, latest, or source; empty = the version of the action's checkout
#   TARGET         Rust target triple of the runner (x86_64-unknown-linux-gnu, ...)
#   BIN_DIR        where the binary goes (the tool cache); created
#   ACTION_PATH    the action's checkout (for the version and the source build)
#   RELEASES_URL   base of the release downloads, e.g. https://github.com/OWNER/REPO/releases
#   INDEX_URL      Python package index (default https://pypi.org/simple)
#   PYTHON         Python for pip (default python3)
#   BUILD_PROFILE  cargo profile of the source build (default release)
# Prints `installed mlops-ci <version> from <release|pypi|source>`; the last line of stdout
# is the binary's path.
set -euo pipefail

: "${TARGET:?TARGET (a Rust target triple) is required}"
: "${BIN_DIR:?BIN_DIR is required}"
: "${ACTION_PATH:?ACTION_PATH (the action checkout) is required}"
INDEX_URL="${INDEX_URL:-https://pypi.org/simple}"
PYTHON="${PYTHON:-python3}"
BUILD_PROFILE="${BUILD_PROFILE:-release}"
VERSION="${VERSION:-}"

log() { echo "mlops-ci install: $*" >&2; }

# The version of this checkout of the action: the binary that matches its action.yml.
if [[ -z "$VERSION" ]]; then
    version_line=$(grep -m1 '^version *= *"' "$ACTION_PATH/Cargo.toml")
    VERSION="v$(sed -E 's/^version *= *"([^"]+)".*/\1/' <<<"$version_line")"
fi

binary=mlops-ci
[[ "$TARGET" == *windows* ]] && binary=mlops-ci.exe
mkdir -p "$BIN_DIR"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
    else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# set -e does not apply inside `a || b`: every step below checks its own status.
done_with() {
    local version
    version=$("$BIN_DIR/$binary" --version) || { log "error: $BIN_DIR/$binary does not run"; exit 2; }
    echo "installed $version from $1"
    echo "$BIN_DIR/$binary"
    exit 0
}

from_release() {
    [[ -n "${RELEASES_URL:-}" ]] || { log "no RELEASES_URL; skipping the release asset"; return 1; }
    local base archive="mlops-ci-$TARGET.tar.gz"
    if [[ "$VERSION" == latest ]]; then base="$RELEASES_URL/latest/download"
    else base="$RELEASES_URL/download/$VERSION"; fi
    if ! curl --fail --silent --show-error --location --retry 2 "$base/$archive" -o "$work/$archive" 2>"$work/curl.err"; then
        log "no release asset $base/$archive ($(tr -d '\n' <"$work/curl.err"))"
        return 1
    fi
    if ! curl --fail --silent --show-error --location --retry 2 "$base/$archive.sha256" -o "$work/$archive.sha256"; then
        log "error: $base/$archive has no $archive.sha256 beside it; refusing an unverified binary"
        exit 2
    fi
    local expected actual
    expected=$(cut -d' ' -f1 <"$work/$archive.sha256" | tr -d '\r\n')
    actual=$(sha256 "$work/$archive")
    if [[ "$expected" != "$actual" ]]; then
        log "error: checksum mismatch for $base/$archive: expected $expected, got $actual; not installed"
        exit 2
    fi
    tar -xzf "$work/$archive" -C "$BIN_DIR" "$binary" || { log "error: $archive holds no $binary"; exit 2; }
    done_with "release $VERSION ($archive, sha256 $actual)"
}

from_pypi() {
    command -v "$PYTHON" >/dev/null 2>&1 || { log "no $PYTHON; skipping the wheel"; return 1; }
    local requirement=mlops-ci
    [[ "$VERSION" == latest ]] || requirement="mlops-ci==${VERSION#v}"
    if ! "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps --only-binary :all: \
        --index-url "$INDEX_URL" --target "$work/wheel" "$requirement" 2>"$work/pip.err"; then
        log "no wheel for $requirement at $INDEX_URL ($(tail -n 1 "$work/pip.err"))"
        return 1
    fi
    # A `bin` wheel puts the executable among the scripts, which pip --target writes to bin/.
    install -m 0755 "$work/wheel/bin/$binary" "$BIN_DIR/$binary" || { log "the wheel has no bin/$binary"; return 1; }
    done_with "the wheel $requirement ($INDEX_URL)"
}

from_source() {
    command -v cargo >/dev/null 2>&1 || { log "error: no release asset, no wheel, and no cargo to build $ACTION_PATH"; exit 2; }
    log "building $ACTION_PATH with cargo (profile $BUILD_PROFILE); this takes minutes, later runs use the cache"
    cargo build --locked --profile "$BUILD_PROFILE" --manifest-path "$ACTION_PATH/Cargo.toml" --bin mlops-ci >&2
    local dir="$BUILD_PROFILE"
    [[ "$dir" == dev ]] && dir=debug
    install -m 0755 "${CARGO_TARGET_DIR:-$ACTION_PATH/target}/$dir/$binary" "$BIN_DIR/$binary"
    done_with "source ($ACTION_PATH, profile $BUILD_PROFILE)"
}

if [[ "$VERSION" != source ]]; then
    from_release || from_pypi || true
fi
from_source
