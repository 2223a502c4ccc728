#!/usr/bin/env bash
# Benchmark: the paired bootstrap on 1,000,000 synthetic examples, 2,000 resamples, per metric
# family (benches/bootstrap.rs). BENCH_ROWS changes the size. Release build; installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --quiet --bench bootstrap
