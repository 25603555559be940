#!/usr/bin/env bash
# Revert round trip: apply, revert, apply the revert (verified against the
# audit log), and live equals what it was before the first apply. A domain
# changed since the run is a conflict, left out; a deleted one is listed as
# not restorable; a log that does not verify is refused; a revert plan is
# only applied with the audit log that vouches for it.
. "$(dirname "$0")/lib.sh"

LOG=$T/audit.jsonl
sandbox_start "$EXAMPLES/live-state.json"
demo_repo
export GITHUB_ACTOR=alice

expect_exit 2 plan --out "$T/plan.json"
updated=()
for i in $(seq 0 10); do
	[ "$(jget "$T/plan.json" ".changes[$i].action" 2>/dev/null)" = update ] || continue
	updated+=(--domain "$(jget "$T/plan.json" ".changes[$i].domain")")
done
assert_eq "${#updated[@]}" 6 "--domain NAME for the 3 updated domains"
expect_exit 0 import --account-id "$ACCOUNT" "${updated[@]}" --out "$T/before.yaml"
expect_exit 0 apply "$T/plan.json" --audit-log "$LOG"
RUN=$(sed -n 's/^Applying .*(run \([0-9a-f]*\), plan .*/\1/p' "$OUT")
expect_exit 0 import --account-id "$ACCOUNT" "${updated[@]}" --out "$T/applied.yaml"
cmp -s "$T/before.yaml" "$T/applied.yaml" && fail "the apply changed nothing"

# The revert plan: kind revert, the run's fields back to their values before.
expect_exit 2 revert --audit-log "$LOG" --run "$RUN" --out "$T/revert.json"
assert_eq "$(jget "$T/revert.json" .kind)" revert "kind"
assert_eq "$(jget "$T/revert.json" .revert_of)" "$RUN" "revert_of"
assert_eq "$(jget "$T/revert.json" .summary.update)" 3 "domains to put back"
assert_contains "$ERR" "cannot restore: legacy.example.org"
assert_eq "$(jget "$T/revert.json" '.changes[1].domain')" example.com "second change"
assert_eq "$(jget "$T/revert.json" '.changes[1].body.lookback_hops')" 1 "lookback_hops back"
expect_exit 2 revert --audit-log "$LOG" --run "$RUN" --format json
assert_eq "$(jget "$OUT" .kind)" revert "json output kind"

# Only with the audit log that vouches for it.
expect_exit 1 apply "$T/revert.json"
assert_contains "$ERR" "give --audit-log FILE"
reset_stats
cp "$LOG" "$T/tampered.jsonl"
sed -i '2s/"actor":"alice"/"actor":"mallory"/' "$T/tampered.jsonl"
expect_exit 1 apply "$T/revert.json" --audit-log "$T/tampered.jsonl"
assert_contains "$ERR" "$T/tampered.jsonl:2: record 2 was changed after it was written"
expect_exit 1 revert --audit-log "$T/tampered.jsonl" --run "$RUN"
assert_contains "$ERR" "the audit log does not verify"
assert_eq "$(stats .requests.patch)" 0 "PATCH requests before the revert"

# Policies apply to a revert as to any plan: the demo's guardrails deny it.
expect_exit 3 apply "$T/revert.json" --audit-log "$LOG"
assert_contains "$ERR" "deny: policy 'guardrails'"
git rm -q policies/guardrails.yaml
commit . "break glass: no guardrails"

# Apply it: live is back to what it was before the first apply.
expect_exit 0 apply "$T/revert.json" --audit-log "$LOG"
REVERT_RUN=$(sed -n 's/^Applying .*(run \([0-9a-f]*\), plan .*/\1/p' "$OUT")
expect_exit 0 import --account-id "$ACCOUNT" "${updated[@]}" --out "$T/after.yaml"
cmp -s "$T/before.yaml" "$T/after.yaml" || fail "live after the revert differs: $(diff "$T/before.yaml" "$T/after.yaml")"
expect_exit 0 audit verify "$LOG"
assert_eq "$(grep -c "\"revert_of\":\"$RUN\"" "$LOG")" 6 "records of the revert run carry revert_of"
expect_exit 0 audit log "$LOG" --run "$REVERT_RUN"
assert_contains "$OUT" "run $REVERT_RUN by alice"
assert_contains "$OUT" "revert of run $RUN"
# Applying the same revert again is stale: live moved on.
expect_exit 4 apply "$T/revert.json" --audit-log "$LOG"
# The next plan shows what git still says.
expect_exit 2 plan --format json
assert_eq "$(jget "$OUT" .summary.update)" 3 "git still wants its updates"

# A domain changed since the run is a conflict: listed, left out.
expect_exit 2 plan --out "$T/plan2.json"
expect_exit 0 apply "$T/plan2.json" --audit-log "$LOG"
RUN2=$(sed -n 's/^Applying .*(run \([0-9a-f]*\), plan .*/\1/p' "$OUT")
api PATCH "/accounts/$ACCOUNT/email-security/settings/domains/3fa85f64-5717-4562-b3fc-2c963f66afa6" \
	-d '{"lookback_hops": 7}' >/dev/null
expect_exit 2 revert --audit-log "$LOG" --run "$RUN2" --out "$T/revert2.json"
assert_contains "$ERR" "conflict, left out: example.com (3fa85f64-5717-4562-b3fc-2c963f66afa6): lookback_hops is now 7, the run left 2"
assert_eq "$(jget "$T/revert2.json" .summary.update)" 2 "conflicting domain left out"
expect_exit 1 revert --audit-log "$LOG" --run 0123456789abcdef
assert_contains "$ERR" "run '0123456789abcdef' is not in the audit log"
expect_exit 1 revert --run "$RUN"
assert_contains "$ERR" "needs --audit-log FILE and --run RUN_ID"
assert_all_valid
