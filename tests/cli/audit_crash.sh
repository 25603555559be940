#!/usr/bin/env bash
# kill -9 in the middle of a concurrent apply: audit verify names exactly
# the requests whose outcome is unknown (intents without a result), every
# request the sandbox received has its intent, and a new plan shows what is
# left.
. "$(dirname "$0")/lib.sh"

N=500
CHANGED=140
gen_state $N >"$T/state.json"
sandbox_start "$T/state.json" --latency-ms 150 --log "$T/requests.jsonl"
mkdir -p "$T/repo"
gen_desired $N $CHANGED >"$T/repo/domains.yaml"
make_repo "$T/repo"
cd "$T/repo"
expect_exit 2 plan --out "$T/plan.json"
LOG=$T/audit.jsonl

"$MAILWARD" apply "$T/plan.json" --audit-log "$LOG" --concurrency 8 --rate 0 \
	>"$T/apply.out" 2>"$T/apply.err" &
PID=$!
for _ in $(seq 1 400); do
	n=$(grep -c '"event":"result"' "$LOG" 2>/dev/null) || true
	[ "${n:-0}" -ge 40 ] && break
	sleep 0.02
done
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
# Let the sandbox finish what was in flight before it is compared.
sleep 0.5

ids() { grep -o 'domains/[0-9a-f-]*' | sed 's|domains/||' | sort -u; }
grep '"event":"intent"' "$LOG" | ids >"$T/intents"
grep '"event":"result"' "$LOG" | ids >"$T/results"
grep '"method":"PATCH"' "$T/requests.jsonl" | ids >"$T/received"
n_results=$(wc -l <"$T/results")
n_intents=$(wc -l <"$T/intents")
[ "$n_results" -ge 40 ] && [ "$n_intents" -lt "$CHANGED" ] ||
	fail "the kill did not land in the middle: $n_intents intents, $n_results results"

# audit verify: the chain is whole; the unknown ones are exactly intents - results.
expect_exit 1 audit verify "$LOG"
assert_not_contains "$OUT" "the hash chain is broken"
grep 'intent without a result' "$OUT" | ids >"$T/unknown"
comm -23 "$T/intents" "$T/results" >"$T/expected_unknown"
[ -s "$T/expected_unknown" ] || fail "no request was in flight at the kill"
cmp -s "$T/unknown" "$T/expected_unknown" || fail "unknown outcomes: got $(wc -l <"$T/unknown"), expected $(wc -l <"$T/expected_unknown")"
# Of those, the ones named as sent: every request the API received without
# a result is among them, and only requests with a "sent" record are.
grep 'intent without a result: .* was sent;' "$OUT" | ids >"$T/unknown_sent"
grep '"event":"sent"' "$LOG" | ids >"$T/sent"
comm -23 "$T/received" "$T/results" | comm -23 - "$T/unknown_sent" >"$T/missed"
[ ! -s "$T/missed" ] || fail "$(wc -l <"$T/missed") requests the API received are not named as sent"
comm -23 "$T/unknown_sent" "$T/sent" >"$T/not_sent"
[ ! -s "$T/not_sent" ] || fail "requests named as sent without a sent record"
# Written ahead: no request reached the API without its intent on disk.
comm -13 "$T/intents" "$T/received" >"$T/without_intent"
[ ! -s "$T/without_intent" ] || fail "$(wc -l <"$T/without_intent") PATCH requests arrived without an intent"
# Whatever was received and has no result is among the unknown ones.
comm -23 "$T/received" "$T/results" | comm -23 - "$T/unknown" >"$T/lost"
[ ! -s "$T/lost" ] || fail "received requests with neither result nor unknown intent"

# A new plan shows what is left: the changes live does not hold yet.
api GET "/accounts/$ACCOUNT/email-security/settings/domains?per_page=1000" >"$T/live.json"
applied=$(grep -o '"lookback_hops": *3' "$T/live.json" | wc -l)
[ "$applied" -ge "$n_results" ] || fail "live holds $applied changes, fewer than $n_results results"
expect_exit 2 plan --format json
assert_eq "$(jget "$OUT" .summary.update)" "$((CHANGED - applied))" "updates left"
# The next apply goes on: the log is whole, and new records continue the chain.
expect_exit 2 plan --out "$T/plan2.json"
expect_exit 0 apply "$T/plan2.json" --audit-log "$LOG" --concurrency 8 --rate 0
expect_exit 1 audit verify "$LOG"
assert_not_contains "$OUT" "the hash chain is broken"
expect_exit 0 plan
echo "killed after $n_results results: $n_intents intents, $(wc -l <"$T/unknown") unknown ($(wc -l <"$T/unknown_sent") named as sent), $(wc -l <"$T/received") PATCH received, $applied applied live"
