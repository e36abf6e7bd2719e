#!/usr/bin/env bash
# `rootlock fix` on one large `kind: List` of Deployments (the YAML form of
# `kubectl get deploy -A -o yaml`), against `rootlock scan` on the same file
# in the same runs: median wall time and median peak RSS of each, and the
# ratios fix/scan (budget: fix within 3x of scan). Three sizes, so the
# figures show whether fix stays linear in the items.
# Fix's check once copied the whole List to apply its ops to, wrote the
# path of every node it compared, read both texts again for their tags,
# and indexed every collection for alias copies: 4.2-5.8x scan's time and
# 2.3-2.9x its peak RSS (3,000 Deployments, 1.48 MB: 0.40 s and 216 MB
# against 0.08 s and 82 MB). Fix also reads the edited text back whole to
# verify it, a tree twice the size of scan's, so it cannot come near scan.
# Figures in crates/fix/README.md (Performance).
# With BASE_BIN set (another build, e.g. main's), it is measured too, its
# runs alternating with those of the binary under test.
# Usage: [ROOTLOCK_BIN=path] [BASE_BIN=path] bench/fix_list.sh [RUNS] [SIZES...]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
shift || true
SIZES=${*:-1000 3000 6000}
BIN=${ROOTLOCK_BIN:-}
if [ -z "$BIN" ]; then
  cargo build -q --release -p rootlock
  BIN=${CARGO_TARGET_DIR:-target}/release/rootlock
fi
[ -x "$BIN" ] || { echo "no binary at $BIN" >&2; exit 1; }
WORK=$(mktemp -d /var/tmp/rootlock-fix-list-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" "$RUNS" "$BIN" "${BASE_BIN:-}" $SIZES <<'PY'
import os, shutil, statistics, subprocess, sys, time
work, runs, bin_, base = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
sizes = [int(s) for s in sys.argv[5:]]
ITEM = """- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: app{i}
    labels: {{app: app{i}, tier: web}}
  spec:
    replicas: 2
    selector:
      matchLabels: {{app: app{i}}}
    template:
      metadata:
        labels: {{app: app{i}}}
      spec:
        containers:
        - name: web
          image: nginx:1.27
          ports:
          - containerPort: 80
          env:
          - name: A
            value: "x"
          resources:
            limits: {{cpu: 100m, memory: 128Mi}}
"""

def run(args):
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of one
    run; output discarded (fix's notes go to stderr, one per Deployment).
    CPU time is the steadier figure on a shared machine."""
    start = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - start
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024

bins = [("", bin_)] + ([("base ", base)] if base else [])
for n in sizes:
    src = os.path.join(work, f"list-{n}.yaml")
    with open(src, "w") as f:
        f.write("apiVersion: v1\nkind: List\nitems:\n" + "".join(ITEM.format(i=i) for i in range(n)))
    size = os.path.getsize(src) / 1e6
    got = {label: {"scan": [], "fix": []} for label, _ in bins}
    for _ in range(runs):
        # Alternating: the binaries and commands share the machine's state.
        for label, b in bins:
            got[label]["scan"].append(run([b, "scan", src]))
            copy = os.path.join(work, "copy.yaml")
            shutil.copyfile(src, copy)
            got[label]["fix"].append(run([b, "fix", copy]))
    for label, _ in bins:
        med = {k: [statistics.median(r[i] for r in v) for i in range(3)]
               for k, v in got[label].items()}
        (st, sc, sm), (ft, fc, fm) = med["scan"], med["fix"]
        print(f"{label}List, {n:5d} Deployments ({size:4.2f} MB): "
              f"scan {st:5.2f} s (cpu {sc:5.2f} s) {sm:6.1f} MB, fix {ft:5.2f} s (cpu {fc:5.2f} s) {fm:6.1f} MB "
              f"-> fix/scan time {ft / st:4.2f}x (cpu {fc / sc:4.2f}x; budget 3x), RSS {fm / sm:4.2f}x")
print(f"runs per figure: {runs} (median), {os.cpu_count()} cores")
PY
