#!/usr/bin/env bash
# `rootlock cluster --format json` against kubectl's
# `get pods -A -o custom-columns=…readOnlyRootFilesystem` (the seed's way),
# both listing the same 100,000 generated pods from the replay API server
# (crates/cluster/examples/replay_apiserver.rs: HTTPS on loopback, pages of
# the recorded real pod shape, limit/continue, owner chains). Also the floor:
# fetching every pod page with curl and nothing else.
# Prints wall time, peak RSS (/usr/bin/time -v) and the ratios.
# Usage: bench/cluster.sh [PODS]   (needs kubectl on PATH for the peer run)
set -euo pipefail
cd "$(dirname "$0")/.."
PODS=${1:-100000}
# ROOTLOCK_BIN / REPLAY_BIN (already built binaries) skip the release builds.
BIN=${ROOTLOCK_BIN:-}
if [ -z "$BIN" ]; then cargo build -q --release -p rootlock; BIN=${CARGO_TARGET_DIR:-target}/release/rootlock; fi
REPLAY=${REPLAY_BIN:-}
if [ -z "$REPLAY" ]; then
  cargo build -q --release -p rootlock-cluster --example replay_apiserver
  REPLAY=${CARGO_TARGET_DIR:-target}/release/examples/replay_apiserver
fi
WORK=$(mktemp -d /var/tmp/rootlock-cluster-bench.XXXXXX)
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

"$REPLAY" --pods "$PODS" --kubeconfig "$WORK/kubeconfig" >"$WORK/server.out" &
SERVER_PID=$!
for _ in $(seq 100); do grep -q '^ready' "$WORK/server.out" 2>/dev/null && break; sleep 0.1; done
URL=$(awk '/^ready/ {print $2}' "$WORK/server.out")
[ -n "$URL" ] || { echo "replay server did not start" >&2; exit 1; }
echo "replay API server: $URL, $PODS pods, $(nproc) CPUs"

# run NAME CMD…: wall seconds and peak RSS (MB) of one run, output discarded.
declare -A WALL RSS
run() {
  local name=$1; shift
  /usr/bin/time -v -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || {
    local rc=$?
    # rootlock exits 1 when workloads fail the level: that is a result.
    [ "$name" = rootlock ] && [ $rc = 1 ] || { echo "$name failed ($rc):" >&2; tail -n 5 "$WORK/$name.err" >&2; return 1; }
  }
  WALL[$name]=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/$name.time")
  RSS[$name]=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$WORK/$name.time")
  printf '%-8s %8.2f s %8s MB\n' "$name" "${WALL[$name]}" "${RSS[$name]}"
}

# The floor: every pod page fetched with curl, bytes discarded.
cat >"$WORK/pages.sh" <<'SH'
set -eu
url=$1 ca=$2 out=$3 token=""; bytes=0
while :; do
  q="limit=500"; [ -n "$token" ] && q="$q&continue=$token"
  curl -sS --fail --cacert "$ca" -H 'Authorization: Bearer replay-token' "$url/api/v1/pods?$q" -o "$out"
  bytes=$((bytes + $(stat -c %s "$out")))
  token=$(head -c 400 "$out" | grep -o '"continue":"[^"]*"' | cut -d'"' -f4 || true)
  [ -n "$token" ] || break
done
echo "$bytes" >"$out.bytes"
SH
run curl bash "$WORK/pages.sh" "$URL" "$WORK/replay-ca.pem" "$WORK/page.json"
echo "         ($(( $(cat "$WORK/page.json.bytes") / 1000000 )) MB of pod JSON in pages of 500)"

run rootlock "$BIN" cluster --kubeconfig "$WORK/kubeconfig" --format json
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print("         rootlock summary:", s)' "$WORK/rootlock.out"

COLUMNS='NAMESPACE:.metadata.namespace,NAME:.metadata.name,READONLY:.spec.containers[*].securityContext.readOnlyRootFilesystem'
if command -v kubectl >/dev/null; then
  run kubectl env KUBECONFIG="$WORK/kubeconfig" kubectl get pods -A -o "custom-columns=$COLUMNS"
  echo "         kubectl printed $(($(wc -l <"$WORK/kubectl.out") - 1)) pod rows"
  awk -v r="${WALL[rootlock]}" -v k="${WALL[kubectl]}" -v c="${WALL[curl]}" -v rr="${RSS[rootlock]}" -v kr="${RSS[kubectl]}" 'BEGIN {
    printf "rootlock/kubectl wall: %.3f (target <= 0.25)   rootlock/curl-floor wall: %.2f\n", r/k, r/c
    printf "rootlock peak RSS: %d MB (target <= 150)   kubectl: %d MB\n", rr, kr }'
else
  echo "kubectl not found: comparing with the page-fetch floor only"
  awk -v r="${WALL[rootlock]}" -v c="${WALL[curl]}" 'BEGIN { printf "rootlock/curl-floor wall: %.2f\n", r/c }'
fi
