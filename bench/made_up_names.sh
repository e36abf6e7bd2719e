#!/usr/bin/env bash
# How well `trace` tells a temp function's made-up directory names from
# stable ones (crates/trace/src/made_up_names.rs, `made_up_private`):
# makes 3,000 directories each with node's `fs.mkdtempSync`, Python's
# `tempfile.mkdtemp` and `mktemp -d`, each with a caller's prefix, and
# takes the distinct directory names under /usr, /etc, /var, /opt and
# /root as stable ones; prints the share of each taken as made up.
#
#   bench/made_up_names.sh            # N=3000
# Needs python3 and mktemp; node is skipped when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-3000}
OUT=$PWD/bench/out/made_up_names
rm -rf "$OUT"; mkdir -p "$OUT"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if command -v node >/dev/null; then
  node -e '
    const fs = require("fs"), path = require("path");
    const out = [];
    for (let i = 0; i < +process.argv[2]; i++) {
      const d = fs.mkdtempSync(path.join(process.argv[1], "app-"));
      out.push(path.basename(d)); fs.rmdirSync(d);
    }
    fs.writeFileSync(process.argv[3], out.join("\n") + "\n");' "$T" "$N" "$OUT/made-node.txt"
else
  echo "node not found: its names skipped"
fi
python3 - "$T" "$N" "$OUT/made-python.txt" <<'PY'
import os, sys, tempfile
out = []
for _ in range(int(sys.argv[2])):
    d = tempfile.mkdtemp(prefix="job-", dir=sys.argv[1])
    out.append(os.path.basename(d)); os.rmdir(d)
open(sys.argv[3], "w").write("\n".join(out) + "\n")
PY
for _ in $(seq "$N"); do d=$(mktemp -d -p "$T" foo.XXXXXX); basename "$d"; rmdir "$d"; done > "$OUT/made-mktemp.txt"
find /usr /etc /var /opt /root -xdev -type d -printf '%f\n' 2>/dev/null | sort -u > "$OUT/stable.txt" || true

MADE_UP_NAMES_DIR=$OUT cargo test -q -p rootlock-trace --lib \
  made_up_names::tests::rates_over_names_in_a_directory -- --ignored --nocapture 2>&1 |
  grep 'taken as made up'
echo "made-*: the share taken is the share caught; stable: the share taken is the false alarms"
