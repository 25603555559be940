#!/usr/bin/env bash
# plan --out p.json && apply p.json && plan: the last plan exits 0 but for
# the missing domain; the audit log has an intent, a sent and a result record per operation.
. "$(dirname "$0")/lib.sh"

sandbox_start "$EXAMPLES/live-state.json"
demo_repo
# The missing domain is onboarded, so that the final plan can be empty.
cat >"$T/shop.json" <<'JSON'
{"accounts": {"023e105f4ecef8ad9ca31a8372d0c353": []}}
JSON

expect_exit 2 plan --out "$T/plan.json"
export GITHUB_ACTOR=octocat
expect_exit 0 apply "$T/plan.json" --audit-log "$T/audit.jsonl"
assert_contains "$OUT" "✓ updated example.com"
assert_contains "$OUT" "✓ deleted legacy.example.org"
assert_contains "$OUT" "Apply: 3 updated, 1 deleted, 0 already gone, 0 failed, 0 not sent"
assert_contains "$OUT" "1 missing domain not applied"

# The audit log: an intent and a result per operation, 0600, with the
# contract's fields; the results hold what the lines held before.
[ "$(stat -c %a "$T/audit.jsonl")" = 600 ] || fail "audit log mode is not 0600"
assert_eq "$(wc -l <"$T/audit.jsonl")" 12 "audit lines"
assert_eq "$(grep -c '"event":"intent"' "$T/audit.jsonl")" 4 "intent records"
expect_exit 0 audit verify "$T/audit.jsonl"
grep '"event":"result"' "$T/audit.jsonl" >"$T/results.jsonl"
assert_eq "$(jget -l "$T/results.jsonl" '[0].actor')" octocat "actor"
assert_eq "$(jget -l "$T/results.jsonl" '[0].account_id')" "$ACCOUNT" "account"
assert_eq "$(jget -l "$T/results.jsonl" '[0].commit')" "$(git rev-parse HEAD)" "commit"
assert_eq "$(jget -l "$T/results.jsonl" '[0].plan_digest')" "$(jget "$T/plan.json" .digest)" "digest"
for i in 0 1 2 3; do
	for k in time method path request_body status cf_ray outcome before after; do
		jget -l "$T/results.jsonl" "[$i].$k" >/dev/null || fail "audit line $i lacks $k"
	done
	assert_eq "$(jget -l "$T/results.jsonl" "[$i].outcome")" applied "outcome of line $i"
done
assert_eq "$(jget -l "$T/results.jsonl" '[1].request_body')" \
	'{"drop_dispositions":["MALICIOUS","MALICIOUS-BEC","SPOOF"],"lookback_hops":2}' "body"
assert_eq "$(jget -l "$T/results.jsonl" '[1].before.lookback_hops')" 1 "before"
assert_eq "$(jget -l "$T/results.jsonl" '[1].after.lookback_hops')" 2 "after"
assert_eq "$(jget -l "$T/results.jsonl" '[3].method')" DELETE "delete line"

# Live now equals git: only the missing domain is left.
expect_exit 2 plan --format json
assert_eq "$(jget "$OUT" .summary)" '{"update":0,"delete":0,"missing":1,"noop":7,"unmanaged":2}' \
	"plan after apply"
# Applying the same plan again is refused: it is stale now.
expect_exit 4 apply "$T/plan.json"
assert_contains "$ERR" "the plan is stale"

# A second apply appends; it never rewrites earlier lines.
head -c 200 "$T/audit.jsonl" >"$T/audit.head"
sed -i '/shop.example.com/,+2d' domains/example-com.yaml
commit . "drop shop"
expect_exit 0 plan --out "$T/plan3.json"
expect_exit 0 apply "$T/plan3.json" --audit-log "$T/audit.jsonl"
assert_contains "$ERR" "nothing to apply"
cmp -s "$T/audit.head" <(head -c 200 "$T/audit.jsonl") || fail "audit log rewritten"

# No output and no audit line ever holds the token.
for f in "$OUT" "$ERR" "$T/audit.jsonl" "$T/plan.json" "$T/sandbox.out" "$T/sandbox.err"; do
	assert_not_contains "$f" "$TOKEN"
done
assert_all_valid
echo ok
