#!/usr/bin/env bash
# Throughput of `rootlock fix` on the real corpus copied 50 times (unique
# file names), against `rootlock scan` on the same input in the same session.
# Budgets: >= 20 MB/s, and within 3x of scan.
# Usage: [ROOTLOCK_BIN=path] bench/fix.sh [RUNS] [COPIES]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
COPIES=${2:-50}
BIN=${ROOTLOCK_BIN:-}
if [ -z "$BIN" ]; then
  cargo build -q --release -p rootlock
  BIN=target/release/rootlock
fi
WORK=$(mktemp -d /var/tmp/rootlock-fix-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
for i in $(seq "$COPIES"); do
  mkdir -p "$WORK/corpus/copy$i"
  cp -r testdata/real/. "$WORK/corpus/copy$i/"
done
find "$WORK/corpus" -type f ! \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -delete
chmod -R u+w "$WORK/corpus"
BYTES=$(find "$WORK/corpus" -type f -printf '%s\n' | awk '{s += $1} END {print s}')

# median of RUNS wall-clock times (ms) of "$@"; exit status ignored (scan
# exits 1 on findings).
median_ms() {
  local t=()
  for _ in $(seq "$RUNS"); do
    local s e
    s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
    t+=($(( (e - s) / 1000000 )))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

[ -x "$BIN" ] || { echo "no binary at $BIN" >&2; exit 1; }
# Sanity: the fix really has work to do (exit 1) and refuses no file (exit 2).
rc=0
"$BIN" fix --check "$WORK/corpus" >/dev/null 2>"$WORK/err" || rc=$?
if [ "$rc" != 1 ]; then
  echo "fix --check exited $rc (want 1: changes, no errors)" >&2
  grep '^rootlock fix:' "$WORK/err" >&2 || true
  exit 1
fi

scan=$(median_ms "$BIN" scan --level immutable "$WORK/corpus")
diff=$(median_ms "$BIN" fix --level immutable "$WORK/corpus")
check=$(median_ms "$BIN" fix --level immutable --check "$WORK/corpus")

echo "corpus: testdata/real x$COPIES, $(find "$WORK/corpus" -type f | wc -l) files, $BYTES bytes; runs per figure: $RUNS (median), $(nproc) cores"
awk -v b="$BYTES" -v s="$scan" -v d="$diff" -v c="$check" 'BEGIN {
  mb = b / 1e6;
  printf "scan:              %6d ms  %7.1f MB/s\n", s, mb / (s / 1000);
  printf "fix (diff output): %6d ms  %7.1f MB/s  -> %.2fx scan (budget 3x, >= 20 MB/s)\n", d, mb / (d / 1000), d / s;
  printf "fix --check:       %6d ms  %7.1f MB/s  -> %.2fx scan\n", c, mb / (c / 1000), c / s }'
