#!/usr/bin/env bash
# A full file system under the audit log (a 16 KiB tmpfs): no torn line is
# left, no request is sent without its intent on disk (compared with what
# the sandbox received), the run stops with exit 1, and once there is room
# again the next run continues the same chain. Needs mount(2) (root, as in
# CI); elsewhere this case is skipped with a message (exit 77) and the unit
# test audit_test.c covers the rollback through its fault seam.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/full"
if ! mount -t tmpfs -o size=16k,mode=0700 tmpfs "$T/full" 2>/dev/null; then
	echo "SKIP: cannot mount a tmpfs here (needs root); audit_test.c covers the rollback"
	exit 77
fi
trap 'umount "$T/full" 2>/dev/null || true; cleanup' EXIT
# A test killed by its timeout must not leave the mount behind.
trap 'exit 143' TERM INT

N=200
CHANGED=50
gen_state $N >"$T/state.json"
sandbox_start "$T/state.json" --log "$T/requests.jsonl"
mkdir -p "$T/repo"
gen_desired $N $CHANGED >"$T/repo/domains.yaml"
make_repo "$T/repo"
cd "$T/repo"
expect_exit 2 plan --out "$T/plan.json"
LOG=$T/full/audit.jsonl

# --concurrency 2: intents are written ahead in batches of 8 (4 per request in flight).
expect_exit 1 apply "$T/plan.json" --audit-log "$LOG" --concurrency 2 --rate 0
assert_contains "$ERR" "No space left on device"
assert_output_contains "not sent: stopped after a failure to record"
# Whole lines only: the file ends with a newline and the chain is whole.
[ "$(tail -c 1 "$LOG" | od -An -c | tr -d ' ')" = '\n' ] || fail "a torn line was left"
mw audit verify "$LOG"
assert_not_contains "$OUT" "the hash chain is broken"
ids() { grep -o 'domains/[0-9a-f-]*' | sed 's|domains/||' | sort -u; }
grep '"event":"intent"' "$LOG" | ids >"$T/intents"
grep '"method":"PATCH"' "$T/requests.jsonl" | ids >"$T/received"
n_intents=$(wc -l <"$T/intents")
n_received=$(wc -l <"$T/received")
[ "$n_received" -gt 0 ] && [ "$n_intents" -lt "$CHANGED" ] || fail "$n_intents intents, $n_received sent: the disk did not fill in the middle"
assert_eq "$(stats .requests.patch)" "$n_received" "PATCH count"
comm -13 "$T/intents" "$T/received" >"$T/without_intent"
[ ! -s "$T/without_intent" ] || fail "$(wc -l <"$T/without_intent") PATCH requests were sent without an intent"
echo "full disk: $n_intents intents, $n_received PATCH received, $(wc -c <"$LOG") bytes kept"

# Room again: the next run continues the chain, after what the first left.
mount -o remount,size=1m "$T/full"
expect_exit 2 plan --out "$T/plan2.json"
expect_exit 0 apply "$T/plan2.json" --audit-log "$LOG" --concurrency 4 --rate 0
mw audit verify "$LOG"
assert_not_contains "$OUT" "the hash chain is broken"
expect_exit 0 plan
