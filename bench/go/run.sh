#!/usr/bin/env bash
# bench/go/run.sh — build and run the Go twin of bench/runtime_bench.cpp.
#
#   bench/go/run.sh [-reps N] [-only NAME]
#
# GOMAXPROCS defaults to the number of CPUs, which is also gofer's default
# worker count; set it to the worker count the gofer run used.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/../../build/go-bench/gofer-bench"
mkdir -p "$(dirname "$out")"
(cd "$here" && go build -o "$out" .)
GOMAXPROCS="${GOMAXPROCS:-$(nproc)}" exec "$out" "$@"
