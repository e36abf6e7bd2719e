#!/usr/bin/env bash
# Overhead of `rootlock trace` against running the same command bare.
#  1. fixed start-up cost: trace -- /bin/true vs /bin/true
#  2. file-heavy workload: untar a large directory (/usr/lib/python3*, or
#     /usr/share if absent) trace vs bare, as a ratio.
# Run as root (rootful mode). Usage: [ROOTLOCK_BIN=path] bench/trace-overhead.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
# ROOTLOCK_BIN=target/debug/rootlock skips the release build.
BIN=${ROOTLOCK_BIN:-}
if [ -z "$BIN" ]; then
  cargo build -q --release -p rootlock
  BIN=${CARGO_TARGET_DIR:-target}/release/rootlock
fi
[ "$(id -u)" = 0 ] || echo "note: not root, measuring rootless mode"
SRC=$(ls -d /usr/lib/python3.[0-9]* 2>/dev/null | head -1 || true)
[ -n "$SRC" ] || SRC=/usr/share
WORK=$(mktemp -d /var/tmp/rootlock-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
tar -C "$(dirname "$SRC")" -cf "$WORK/src.tar" "$(basename "$SRC")"
FILES=$(tar -tf "$WORK/src.tar" | wc -l)

# median of RUNS wall-clock times (ms) of "$@"
median_ms() {
  local t=()
  for _ in $(seq "$RUNS"); do
    local s e
    s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
    t+=($(( (e - s) / 1000000 )))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
untar() { rm -rf "$WORK/out"; mkdir -p "$WORK/out"; tar -C "$WORK/out" -xf "$WORK/src.tar"; }
export -f untar; export WORK

bare_true=$(median_ms /bin/true)
trace_true=$(median_ms "$BIN" trace --format json -- /bin/true)
bare_tar=$(median_ms bash -c untar)
trace_tar=$(median_ms "$BIN" trace --format json -- bash -c untar)

echo "runs per figure: $RUNS (median)"
echo "fixed start-up: bare /bin/true ${bare_true} ms, traced ${trace_true} ms -> overhead $((trace_true - bare_true)) ms (budget 100 ms)"
awk -v b="$bare_tar" -v t="$trace_tar" -v f="$FILES" -v s="$SRC" 'BEGIN {
  r = (b > 0) ? t / b : 0;
  printf "untar %s (%d entries): bare %d ms, traced %d ms -> ratio %.2fx (budget 1.5x)\n", s, f, b, t, r }'
