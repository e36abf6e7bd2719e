#!/usr/bin/env bash
# Load test of `rootlock webhook` over HTTPS keep-alive on loopback, with a
# floor measured in the same run: nginx serving static bodies of the same
# sizes over TLS. Prints req/s, latency percentiles, RSS and the ratios.
#
#   bench/webhook.sh                     # defaults below
#   DURATION=20s CONNS=64 bench/webhook.sh
#
# ROOTLOCK_BIN=path skips the build.
# Needs wrk and nginx (Debian packages; installed if missing, as root).
# With oha (OHA=path, or on PATH; `cargo install oha --locked`), it also
# measures HTTP/2 over one connection, the way an API server multiplexes
# its admission calls; without oha that part is skipped, and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/bench/out/webhook
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
WRK_THREADS=${WRK_THREADS:-1}
SERVER_THREADS=${SERVER_THREADS:-2}
WH_PORT=${WH_PORT:-18443}
NGX_PORT=${NGX_PORT:-18444}
RATE_CONNS=20          # 20 connections x 10 ms mean pause = 2,000 req/s at most
RATE_DELAY_MS=10
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

need() { command -v "$1" >/dev/null 2>&1 || { echo "installing $2"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null; }; }
need wrk wrk
need nginx nginx-light
need curl curl

rm -rf "$OUT"; mkdir -p "$OUT"
if [ -n "${ROOTLOCK_BIN:-}" ]; then   # a binary built already
  BIN=$ROOTLOCK_BIN
else
  cargo build --release -q -p rootlock
  BIN=$CARGO_TARGET_DIR/release/rootlock
fi

"$BIN" webhook certs --out-dir "$OUT/certs" --ip 127.0.0.1 --dns localhost >/dev/null 2>&1

# Request bodies: the recorded `kubectl run p1 --image=nginx` review (denied
# at immutable) and the same pod hardened (allowed).
python3 - "$ROOT/testdata/apiserver/admission/05-pod-create.json" "$OUT" <<'PY'
import json, sys
rec = json.load(open(sys.argv[1]))["body"]
out = sys.argv[2]
json.dump(rec, open(f"{out}/denied.json", "w"), separators=(",", ":"))
ok = json.loads(json.dumps(rec))
ok["request"]["uid"] = "bench-allowed"
c = ok["request"]["object"]["spec"]["containers"][0]
c["securityContext"] = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True, "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
json.dump(ok, open(f"{out}/allowed.json", "w"), separators=(",", ":"))
PY

cleanup() {
  [ -n "${WH_PID:-}" ] && kill "$WH_PID" 2>/dev/null || true
  [ -f "$OUT/nginx.pid" ] && kill "$(cat "$OUT/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT

ROOTLOCK_LOG=warn "$BIN" webhook --offline --listen "127.0.0.1:$WH_PORT" \
  --tls-cert "$OUT/certs/tls.crt" --tls-key "$OUT/certs/tls.key" --threads "$SERVER_THREADS" \
  2>"$OUT/webhook.log" &
WH_PID=$!
for _ in $(seq 100); do curl -sf --cacert "$OUT/certs/ca.crt" "https://127.0.0.1:$WH_PORT/readyz" >/dev/null && break; sleep 0.05; done

# Real responses, for the nginx bodies and as a sanity check.
for kind in allowed denied; do
  curl -sf --cacert "$OUT/certs/ca.crt" -H 'Content-Type: application/json' \
    --data-binary "@$OUT/$kind.json" "https://127.0.0.1:$WH_PORT/validate?timeout=5s" >"$OUT/$kind.response.json"
done
grep -q '"allowed":true' "$OUT/allowed.response.json" || { echo "allowed pod was not allowed"; exit 1; }
grep -q '"allowed":false' "$OUT/denied.response.json" || { echo "denied pod was not denied"; exit 1; }

# nginx: same TLS material, same worker count, static bodies of the same sizes.
python3 - "$OUT" "$NGX_PORT" "$SERVER_THREADS" <<'PY'
import sys
out, port, workers = sys.argv[1], sys.argv[2], sys.argv[3]
def lit(path):
    s = open(path).read()
    assert "'" not in s and "$" not in s
    return "'" + s.replace("\\", "\\\\") + "'"
conf = f"""
worker_processes {workers};
pid {out}/nginx.pid;
error_log {out}/nginx.error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {out}/nginx-body;
  client_max_body_size 4m;
  client_body_buffer_size 64k;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  server {{
    listen 127.0.0.1:{port} ssl http2;
    ssl_certificate {out}/certs/tls.crt;
    ssl_certificate_key {out}/certs/tls.key;
    default_type application/json;
    location = /allowed {{ return 200 {lit(out + '/allowed.response.json')}; }}
    location = /denied {{ return 200 {lit(out + '/denied.response.json')}; }}
  }}
}}
"""
open(f"{out}/nginx.conf", "w").write(conf)
PY
nginx -c "$OUT/nginx.conf" -p "$OUT" -e "$OUT/nginx.error.log"
for _ in $(seq 100); do curl -sf --cacert "$OUT/certs/ca.crt" -X POST --data-binary "@$OUT/allowed.json" -H 'Content-Type: application/json' "https://127.0.0.1:$NGX_PORT/allowed" >/dev/null && break; sleep 0.05; done

# CPU time (user + system, clock ticks) of processes: the webhook, or
# nginx's workers.
ticks() { local t=0; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
server_pids() { if [ "$1" = webhook ]; then echo "$WH_PID"; else pgrep -f "nginx: worker process" | tr '\n' ' '; fi; }
run() { # NAME URL MODE CONNS DELAY
  local pids t0; pids=$(server_pids "$3"); t0=$(ticks $pids)
  wrk -t"$WRK_THREADS" -c"$4" -d"$DURATION" --latency -s bench/webhook.lua "$2" -- "$OUT" "$3" "$5" >"$OUT/$1.txt" 2>&1
  echo $(( $(ticks $pids) - t0 )) >"$OUT/$1.ticks"
}
rps() { awk '/^Requests\/sec:/ {print $2}' "$OUT/$1.txt"; }
pct() { awk -v p="$2" '$1==p {print $2}' "$OUT/$1.txt"; }
non2xx() { awk '/Non-2xx/ {print $5}' "$OUT/$1.txt"; }

echo "== throughput: $CONNS connections, $WRK_THREADS wrk thread(s), $DURATION, server threads $SERVER_THREADS, $(nproc) cores"
run webhook "https://127.0.0.1:$WH_PORT" webhook "$CONNS" 0
run nginx "https://127.0.0.1:$NGX_PORT" nginx "$CONNS" 0
echo "== latency at a fixed rate (<= 2,000 req/s: $RATE_CONNS connections x ${RATE_DELAY_MS} ms mean pause, drawn at random)"
# The handler's own latency histogram (/metrics) around the fixed-rate run:
# the webhook's share of the tail, without the client, TLS and the kernel.
handler_buckets() { curl -sf --cacert "$OUT/certs/ca.crt" "https://127.0.0.1:$WH_PORT/metrics" \
  | awk '/^rootlock_webhook_request_duration_seconds_bucket\{.*path="\/validate"/ {print}' >"$OUT/$1"; }
handler_buckets handler-before.txt
run webhook-rate "https://127.0.0.1:$WH_PORT" webhook "$RATE_CONNS" "$RATE_DELAY_MS"
handler_buckets handler-after.txt
run nginx-rate "https://127.0.0.1:$NGX_PORT" nginx "$RATE_CONNS" "$RATE_DELAY_MS"

# HTTP/2, one connection with 32 streams in flight (an API server sends its
# admission calls over one multiplexed connection), each body on its own
# (oha sends one body per run). Throughput only: oha's fixed-rate mode
# (-q) put nginx's own p99 at 3 ms here (its pacing timer), so the p99
# figure stays wrk's.
OHA=${OHA:-$(command -v oha || true)}
oha_run() { # NAME URL BODY
  local name=$1 url=$2 body=$3
  "$OHA" --no-tui --http2 -c 1 -p 32 -z "$DURATION" -m POST -T application/json \
    -D "$OUT/$body.json" --cacert "$OUT/certs/ca.crt" "$url" --output-format json >"$OUT/$name.json" 2>"$OUT/$name.err"
}
if [ -n "$OHA" ] && [ -x "$OHA" ]; then
  echo "== HTTP/2 (oha): one connection, 32 streams, $DURATION per body"
  for body in allowed denied; do
    oha_run "h2-webhook-$body" "https://127.0.0.1:$WH_PORT/validate?timeout=5s" "$body"
    oha_run "h2-nginx-$body" "https://127.0.0.1:$NGX_PORT/$body" "$body"
  done
  python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
def load(name):
    d = json.load(open(f"{out}/{name}.json"))
    codes = d.get("statusCodeDistribution", {})
    bad = sum(n for c, n in codes.items() if c != "200")
    return d["summary"]["requestsPerSec"], d["latencyPercentiles"]["p99"] * 1000, bad
print(f"{'run':<26} {'req/s':>10} {'p99 ms':>8} {'non-200':>8}")
for body in ("allowed", "denied"):
    for run in ("webhook", "nginx"):
        rps, p99, bad = load(f"h2-{run}-{body}")
        print(f"{run + '/' + body:<26} {rps:>10,.0f} {p99:>8.3f} {bad:>8}")
    wh, ng = load(f"h2-webhook-{body}")[0], load(f"h2-nginx-{body}")[0]
    print(f"HTTP/2 webhook/nginx throughput, {body}: {wh / ng * 100:.1f}%")
PY
else
  echo "== HTTP/2: skipped (oha not found or not executable: ${OHA:-none}; cargo install oha --locked, or OHA=path)"
fi

RSS_KB=$(awk '/^VmHWM:/ {print $2}' "/proc/$WH_PID/status")
WH_RPS=$(rps webhook); NG_RPS=$(rps nginx)
# Requests served in each throughput run, for CPU per request.
served() { awk '/requests in/ {print $1}' "$OUT/$1.txt"; }
printf '%-14s %12s %10s %10s %10s %8s\n' run req/s p50 p99 non-2xx ""
for r in webhook nginx webhook-rate nginx-rate; do
  printf '%-14s %12s %10s %10s %10s\n' "$r" "$(rps $r)" "$(pct $r 50%)" "$(pct $r 99%)" "$(non2xx $r)"
done
python3 - "$WH_RPS" "$NG_RPS" "$RSS_KB" "$(pct webhook-rate 99%)" "$(pct nginx-rate 99%)" \
  "$(cat "$OUT/webhook.ticks")" "$(served webhook)" "$(cat "$OUT/nginx.ticks")" "$(served nginx)" "$(getconf CLK_TCK)" <<'PY'
import sys, re
wh, ng, rss_kb, p99, ng_p99 = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
wh_ticks, wh_n, ng_ticks, ng_n, hz = (int(x) for x in sys.argv[6:11])
def ms(s):
    v, u = re.match(r"([\d.]+)(us|ms|s)", s).groups()
    return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u]
wh_cpu, ng_cpu = wh_ticks / hz / wh_n * 1e6, ng_ticks / hz / ng_n * 1e6
print(f"webhook/nginx throughput: {wh/ng*100:.1f}% (target >= 70%)")
print(f"webhook throughput: {wh:,.0f} req/s (target >= 20,000 on 2 cores)")
print(f"server CPU per request: webhook {wh_cpu:.1f} us, nginx {ng_cpu:.1f} us ({wh_cpu/ng_cpu:.2f}x)")
print(f"p99 at <= 2,000 req/s: webhook {ms(p99):.3f} ms, nginx {ms(ng_p99):.3f} ms (target <= 1 ms)")
print(f"webhook peak RSS: {rss_kb/1024:.1f} MiB (target <= 30 MB)")
PY
python3 - "$OUT/handler-before.txt" "$OUT/handler-after.txt" <<'PY'
import re, sys
def buckets(path):
    out = {}
    for line in open(path):
        m = re.search(r'le="([^"]+)"[^}]*\}\s+(\d+)', line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out
before, after = buckets(sys.argv[1]), buckets(sys.argv[2])
delta = sorted(((float(le), after[le] - before.get(le, 0)) for le in after if le != "+Inf"))
total = after.get("+Inf", 0) - before.get("+Inf", 0)
def bound(q):  # smallest bucket bound holding the quantile
    return next((le for le, n in delta if n >= q * total), float("inf"))
if total:
    print(f"handler (full body to response, /metrics) at <= 2,000 req/s: p50 <= {bound(0.5)*1000:.3f} ms, p99 <= {bound(0.99)*1000:.3f} ms over {total} reviews")
PY
echo "raw wrk output: $OUT/*.txt"
