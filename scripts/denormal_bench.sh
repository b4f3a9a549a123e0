#!/usr/bin/env bash
# Times every implementation on normal, subnormal-input and subnormal-product data (see
# tests/denormal_bench.c) and prints each subnormal set's time as a ratio to normal's.
# A benchmark, not a test: nothing is asserted, as the machine is shared and noisy.
#   scripts/denormal_bench.sh [--problem 'H=1024 W=1024 K=7'] [--impl A,B] [--threads N]
#                             [--min-time S]
# BUILD=dir picks the build directory (default build).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
make --no-print-directory -s BUILD="$build" "$build/tests/denormal_bench" >&2
exec "$build/tests/denormal_bench" "$@"
