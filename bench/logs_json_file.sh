#!/usr/bin/env bash
# `rootlock logs` on a large Docker json-file log (default 88 MB), against
# peers that read the same file in the same run: `grep -c` (a byte scan,
# the floor for any reader), Python's json.loads of every record, and `jq`
# (a JSON parser reading every record).
#
# The log is generated deterministically (the same bytes every run; its
# sha256 is printed): a fixed-seed mix of what a node's containers write —
# plain lines, nginx access lines (`\"`), JSON loggers' lines (`\"`,
# `\\`, `\u003c` as Docker escapes `<`), non-ASCII text, lines of 20–40 KiB
# that the daemon cuts into 16 KiB partial records, and a few hundred
# `Read-only file system` errors.
#
# Prints, per program, the median wall time and CPU time (user + system,
# GNU time -v, 10 ms steps) of RUNS runs, its max RSS, and their ratios to
# rootlock's; CPU time is the steadier figure on a loaded machine. With BASELINE_BIN set
# (e.g. a copy of the release binary built before a change) it is timed too
# and its output must be byte-identical to ROOTLOCK_BIN's, or the script
# fails.
#
# Usage: [ROOTLOCK_BIN=path] [BASELINE_BIN=path] [SIZE_MB=88]
#        bench/logs_json_file.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
SIZE_MB=${SIZE_MB:-88}
BIN=${ROOTLOCK_BIN:-}
if [ -z "$BIN" ]; then
  cargo build -q --release --locked -p rootlock
  BIN=${CARGO_TARGET_DIR:-target}/release/rootlock
fi
BASE=${BASELINE_BIN:-}
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "needs python3 to generate the log" >&2; exit 2; }

WORK=$(mktemp -d /var/tmp/rootlock-logs-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
LOG=$WORK/container-json.log

python3 - "$LOG" "$SIZE_MB" <<'EOF'
import json, random, sys
path, size = sys.argv[1], int(sys.argv[2]) << 20
rng = random.Random(20240514)

def docker(s):
    # Docker's encoder (jsonlog) escapes like Go's encoding/json: <, >, &
    # as \u003c \u003e \u0026; other non-ASCII is written as UTF-8.
    return (json.dumps(s, ensure_ascii=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))

words = ("request handled user cache miss hit connect pool worker job queue "
         "retry timeout ok done start stop item order payment café naïve").split()
paths = ["/api/v1/items", "/healthz", "/metrics", "/static/app.js", "/login"]
erofs = [
    'nginx: [emerg] mkdir() "/var/cache/nginx/client_temp" failed (30: Read-only file system)',
    "sh: 1: cannot create /var/run/app.pid: Read-only file system",
    '{"level":"error","ts":1715678467.1,"msg":"save failed","error":"open /var/lib/app/sessions/x.json: read-only file system"}',
    "touch: cannot touch '/app/ready': Read-only file system",
    "OSError: [Errno 30] Read-only file system: '/app/data.db'",
]

def line(i):
    r = rng.random()
    if r < 0.0005:
        return rng.choice(erofs)
    if r < 0.40:
        return "%s INFO  [worker-%d] %s in %dms path=%s/%d" % (
            "2024-05-14T09:21:07.%03dZ" % (i % 1000), rng.randrange(16),
            " ".join(rng.choice(words) for _ in range(rng.randrange(3, 12))),
            rng.randrange(500), rng.choice(paths), rng.randrange(10**6))
    if r < 0.65:
        return '10.0.%d.%d - - [14/May/2024:09:21:07 +0000] "GET %s HTTP/1.1" %d %d "-" "Mozilla/5.0 (X11; Linux x86_64)"' % (
            rng.randrange(256), rng.randrange(256), rng.choice(paths),
            rng.choice((200, 200, 200, 304, 404, 500)), rng.randrange(10**5))
    if r < 0.9995:
        fields = {"level": rng.choice(("info", "debug", "warn")),
                  "ts": 1715678467 + i / 1000, "caller": "app/server.go:%d" % rng.randrange(999),
                  "msg": " ".join(rng.choice(words) for _ in range(rng.randrange(2, 8))),
                  "path": "C:\\data\\%d" % rng.randrange(99) if rng.random() < 0.1 else rng.choice(paths),
                  "html": "<b>&</b>" if rng.random() < 0.05 else "none"}
        return json.dumps(fields)
    # A long line: the daemon cuts it into 16 KiB records.
    return "payload=" + "".join(rng.choice("abcdef0123456789") for _ in range(rng.randrange(20000, 40000)))

out = open(path, "w", encoding="utf-8", newline="\n")
written, i = 0, 0
while written < size:
    i += 1
    text = line(i) + "\n"
    stream = "stderr" if rng.random() < 0.3 else "stdout"
    time = "2024-05-14T09:%02d:%02d.%09dZ" % (i // 60000 % 60, i // 1000 % 60, i * 7919 % 10**9)
    # Cut in 16 KiB pieces of characters (Docker cuts bytes, at 16 KiB).
    pieces = [text[k:k + 16384] for k in range(0, len(text), 16384)]
    for p in pieces:
        rec = '{"log":%s,"stream":"%s","time":"%s"}\n' % (docker(p), stream, time)
        out.write(rec)
        written += len(rec.encode())
out.close()
EOF

BYTES=$(stat -c %s "$LOG")
LINES=$(wc -l < "$LOG")
echo "log: $LOG  $BYTES bytes, $LINES records, sha256 $(sha256sum "$LOG" | cut -c1-16)"
echo "runs per figure: $RUNS (median wall time; max RSS of those runs)"

# The programs, as NAME|OUTPUT FILE|COMMAND (a shell word list). Each run
# goes through them in turn, so a load on the machine falls on all alike.
progs=("rootlock logs|$WORK/out.new|$(printf '%q ' "$BIN" logs "$LOG")")
[ -n "$BASE" ] && progs+=("rootlock logs (baseline)|$WORK/out.base|$(printf '%q ' "$BASE" logs "$LOG")")
progs+=("grep -c 'Read-only file system'|/dev/null|$(printf '%q ' grep -c 'Read-only file system' "$LOG")")
progs+=("python3 json.loads per record|/dev/null|python3 -c 'import json, sys; print(sum(\"Read-only file system\" in json.loads(l)[\"log\"] for l in sys.stdin))'")
command -v jq >/dev/null && progs+=("jq -r .log|/dev/null|$(printf '%q ' jq -r .log "$LOG")")
echo "rootlock: $BIN${BASE:+; baseline: $BASE}"

# One run of program K: its wall seconds appended to $WORK/wall.K, its max
# RSS (KiB) to $WORK/rss.K. GNU time's wall clock has 10 ms steps: the
# clock is read around it.
run() {
  local k=$1 name out cmd s e
  IFS='|' read -r name out cmd <<<"${progs[$k]}"
  s=$(date +%s%N)
  eval "/usr/bin/time -v -o $WORK/time $cmd" <"$LOG" >"$out" 2>"$WORK/stderr" || {
    echo "failed: $name" >&2; cat "$WORK/stderr" >&2; exit 1; }
  e=$(date +%s%N)
  awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f\n", (e - s) / 1e9 }' >>"$WORK/wall.$k"
  awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time" >>"$WORK/rss.$k"
  awk -F': ' '/User time|System time/ {s += $2} END {printf "%.3f\n", s}' "$WORK/time" >>"$WORK/cpu.$k"
}
for _ in $(seq "$RUNS"); do
  for k in "${!progs[@]}"; do run "$k"; done
done

if [ -n "$BASE" ]; then
  if cmp -s "$WORK/out.new" "$WORK/out.base"; then
    echo "output: byte-identical to the baseline's ($(wc -c < "$WORK/out.new") bytes)"
  else
    echo "output DIFFERS from the baseline's:" >&2
    diff "$WORK/out.base" "$WORK/out.new" | head -40 >&2
    exit 1
  fi
fi

median() { sort -g "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
t_new=$(median "$WORK/wall.0")
c_new=$(median "$WORK/cpu.0")
printf '%-34s %8s %8s %10s %11s %11s\n' program "wall s" "cpu s" "max RSS" "wall/rootl." "cpu/rootl."
for k in "${!progs[@]}"; do
  IFS='|' read -r name _ <<<"${progs[$k]}"
  awk -v n="$name" -v t="$(median "$WORK/wall.$k")" -v c="$(median "$WORK/cpu.$k")" \
      -v r="$(sort -g "$WORK/rss.$k" | tail -1)" -v b="$t_new" -v bc="$c_new" -v mb="$BYTES" 'BEGIN {
    printf "%-34s %8.3f %8.2f %7.1f MB %10.2fx %10.2fx   (%.0f MB/s)\n", n, t, c, r / 1024,
      (b > 0 ? t / b : 0), (bc > 0 ? c / bc : 0), (t > 0 ? mb / 1048576 / t : 0) }'
done
