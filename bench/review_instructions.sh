#!/usr/bin/env bash
# Instructions per AdmissionReview on the webhook's review path (body bytes
# in, response bytes out: `server::review_body`, as `/validate` runs it),
# counted by callgrind, against the peer in the same run: serde_json
# parsing the same body into a `Value` and writing it back.
#
# Instruction counts are deterministic: they do not swing with the load of
# a shared VM, where the wall-clock `cargo bench --bench review` moves by
# ±15 % between runs. They are not time (a cache miss costs more than an
# add), so the end-to-end figure stays `bench/webhook.sh`'s; this one says
# whether a change to the review path does less work.
#
# Each figure is (Ir of N+1000 reviews - Ir of N reviews) / 1000, so start-
# up (reading the recorded body, building the runtime) drops out.
#
# With BASELINE_BIN set (the `review_instructions` bench binary of an
# earlier build: `cargo bench -p rootlock-webhook --bench
# review_instructions --no-run` prints its path) it is counted too.
#
# Usage: [BASELINE_BIN=path] bench/review_instructions.sh
set -euo pipefail
# A failed count inside $(...) must stop the script, not print a zero.
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "needs valgrind (Debian package valgrind)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 2; }

BIN=$(cargo bench -q --locked -p rootlock-webhook --bench review_instructions --no-run \
  --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "review_instructions" and m.get("executable"):
        print(m["executable"])')
[ -x "$BIN" ] || { echo "could not build the review_instructions bench" >&2; exit 2; }

WORK=$(mktemp -d /var/tmp/rootlock-review-ir.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

N=200
# Total instructions of one run: callgrind's "summary:" line.
ir() {
  valgrind --tool=callgrind --log-file="$WORK/valgrind" --callgrind-out-file="$WORK/out" \
    "$@" >/dev/null 2>"$WORK/err" || {
    echo "$* failed:" >&2; head -3 "$WORK/err" >&2; exit 2; }
  awk '/^summary:/ {print $2}' "$WORK/out"
}
per_review() {
  local bin=$1 who=$2 which=$3 a b
  a=$(ir "$bin" "$who" "$which" "$N")
  b=$(ir "$bin" "$who" "$which" $((N + 1000)))
  echo $(((b - a) / 1000))
}

printf '%-10s %-8s %14s %14s %8s\n' build body "Ir/review" "serde_json" ratio
for which in allowed denied; do
  peer=$(per_review "$BIN" serde_json "$which")
  for build in head ${BASELINE_BIN:+base}; do
    bin=$BIN
    [ "$build" = base ] && bin=$BASELINE_BIN
    mine=$(per_review "$bin" rootlock "$which")
    printf '%-10s %-8s %14d %14d %8s\n' "$build" "$which" "$mine" "$peer" \
      "$(python3 -c "print(f'{$mine / $peer:.3f}')")"
  done
done
