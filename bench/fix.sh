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
  BIN=${CARGO_TARGET_DIR:-target}/release/rootlock
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

# Large Lists: `kubectl get deploy -A -o json` is one document of tens of
# thousands of lines, and piped through `jq -c` one line of megabytes, with
# findings and edits for every workload. Both must stay linear: scan's text
# output once walked the document from its start for every finding (11 s
# for 4,000 workloads) and printed the whole line under each finding of the
# one-line form (7.5 GB), and fix walked that line from its start for every
# edit. Figures for two sizes of each, scan's JSON output as the peer.
for form in pretty oneline; do
  for n in 2000 8000; do
    f="$WORK/$form-$n.json"
    python3 - "$f" "$n" "$form" <<'PY'
import json, sys
path, n, form = sys.argv[1], int(sys.argv[2]), sys.argv[3]
item = lambda i: {"apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": f"d{i}", "annotations": {"a": "b" * 200}},
    "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "nginx:1.25"}]}}}}
doc = {"apiVersion": "v1", "kind": "List", "items": [item(i) for i in range(n)]}
if form == "pretty":
    json.dump(doc, open(path, "w"), indent=4)
else:
    json.dump(doc, open(path, "w"), separators=(",", ":"))
PY
    size=$(stat -c %s "$f")
    j=$(median_ms "$BIN" scan --format json "$f")
    t=$(median_ms "$BIN" scan "$f")
    d=$(median_ms "$BIN" fix "$f")
    awk -v b="$size" -v j="$j" -v t="$t" -v d="$d" -v n="$n" -v form="$form" 'BEGIN {
      base = j > 0 ? j : 1;
      printf "%-7s List, %5d workloads (%4.1f MB): scan json %5d ms, scan text %5d ms (%.2fx), fix %5d ms (%.2fx)\n",
        form, n, b / 1e6, j, t, t / base, d, d / base }'
  done
done

# A large volume plan: `rootlock logs` keeps up to 100,000 distinct paths,
# and `fix --plan` gives one container a mount and a volume for each. Each
# path's lookups were once linear in the paths before it (and the policy's
# mount rules linear in the volumes per mount): 6.2 s for 20,000 paths.
# Two sizes, so the ratio shows whether it stays linear.
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: x\n' >"$WORK/pod.yaml"
prev=""
for n in 5000 20000; do
  python3 - "$WORK/plan-$n.json" "$n" <<'PY'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
paths = [{"path": f"/data/app/dir{i}", "medium": "disk", "reason": "bench", "seed": False} for i in range(n)]
json.dump({"apiVersion": "rootlock.dev/v1", "kind": "VolumePlan", "source": "bench", "paths": paths}, open(path, "w"))
PY
  p=$(median_ms "$BIN" fix --plan "$WORK/plan-$n.json" "$WORK/pod.yaml")
  if [ -n "$prev" ]; then
    awk -v p="$p" -v q="$prev" -v n="$n" 'BEGIN { printf "fix --plan, %5d paths: %5d ms (%.1fx the 5,000-path time for 4x the paths)\n", n, p, p / (q > 0 ? q : 1) }'
  else
    printf 'fix --plan, %5d paths: %5d ms\n' "$n" "$p"; prev=$p
  fi
done

# Many documents in one file (a rendered bundle, `---` between objects):
# fix once read every document's tree before fixing the first, and peaked
# at about 45x the file's size (178 MB for 8,000 Deployments, 4 MB); each
# group of documents is now fixed as soon as it is read. Peak RSS of fix
# against scan's on the same file (scan streams), for two sizes, so the
# ratio shows whether fix's memory follows the file's size.
for n in 2000 8000; do
  f="$WORK/bundle-$n.yaml"
  python3 - "$f" "$n" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
doc = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  labels: {{app: app-{i}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}}}
    spec:
      containers:
        - name: app
          image: registry.example.com/team/app-{i}:1.2.3
          ports: [{{containerPort: 8080}}]
          env:
            - {{name: A, value: "1"}}
          resources: {{limits: {{memory: 128Mi}}}}
"""
open(path, "w").write("---\n".join(doc.format(i=i) for i in range(n)))
PY
  python3 - "$BIN" "$f" "$n" <<'PY'
import os, resource, subprocess, sys
bin, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def peak_mb(*args):
    # Each run in a child of its own, so RUSAGE_CHILDREN is that run's peak.
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        subprocess.run([bin, *args, path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.write(w, str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss).encode())
        os._exit(0)
    os.close(w)
    kb = int(os.read(r, 64) or b"0")
    os.waitpid(pid, 0)
    return kb / 1024
size = os.path.getsize(path) / 1e6
scan, fix = peak_mb("scan"), peak_mb("fix")
print(f"bundle, {n:5d} Deployments ({size:4.1f} MB): peak RSS scan {scan:6.1f} MB, fix {fix:6.1f} MB "
      f"({fix / scan:.1f}x scan, {fix / size:.0f}x the file)")
PY
done
