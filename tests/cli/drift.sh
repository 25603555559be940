#!/usr/bin/env bash
# drift: per-field git and live values, missing and unmanaged domains,
# exit 0/2/1; --format json for dashboards; --notify POSTs a JSON summary
# with a Slack-compatible text only when drift is found, without the
# Cloudflare credential, retried, and never printing the webhook's path.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipelines_lib.sh"

sandbox_start "$EXAMPLES/live-state.json"
demo_repo

expect_exit 2 drift
assert_contains "$OUT" "mailward drift check for account $ACCOUNT"
assert_contains "$OUT" "~ example.com (3fa85f64-5717-4562-b3fc-2c963f66afa6): 2 settings differ from git"
assert_contains "$OUT" "lookback_hops: git 2, live 1"
assert_contains "$OUT" "- legacy.example.org (d3adb33f-0000-4000-8000-000000000001): absent in git, still protected live"
assert_contains "$OUT" "! shop.example.com: in git, not protected in Cloudflare"
assert_contains "$OUT" "? partner.example.org"
assert_contains "$OUT" "Drift: 3 drifted, 1 absent in git but live, 1 missing, 3 in sync, 2 unmanaged."

# JSON for dashboards.
expect_exit 2 drift --format json
assert_eq "$(jget "$OUT" .kind)" drift "kind"
# The plan file format, kind drift: git's value is `after`, live's `before`.
assert_eq "$(jget "$OUT" .summary)" \
	'{"update":3,"delete":1,"missing":1,"noop":3,"unmanaged":2}' "summary"
assert_eq "$(jget "$OUT" '.changes[1].diff[1]')" '{"field":"lookback_hops","before":1,"after":2}' \
	"a drifted field"
assert_eq "$(jget "$OUT" '.changes[3].domain')" legacy.example.org "absent but live"
assert_eq "$(jget "$OUT" '.changes[3].reason')" absent "why legacy.example.org drifts"
jget "$OUT" .digest >/dev/null || fail "the drift report has no digest"
expect_exit 2 drift --format markdown
assert_contains "$OUT" "### mailward drift: 3 drifted, 1 absent but live, 1 missing"

# --notify: one POST, with the drift JSON and a text, and no credential.
sink_start
expect_exit 2 drift --notify "$SINK_URL/services/T000/B000/very-secret-path"
assert_contains "$ERR" "drift notification sent"
assert_eq "$(wc -l <"$SINK_OUT")" 1 "notifications received"
assert_eq "$(jget -l "$SINK_OUT" '[0].kind')" drift "payload kind"
assert_eq "$(jget -l "$SINK_OUT" '[0].summary.update')" 3 "payload summary"
jget -l "$SINK_OUT" '[0].text' >"$T/text"
assert_contains "$T/text" "mailward: drift in Cloudflare account $ACCOUNT"
assert_contains "$T/text" "• example.com: drop_dispositions git [MALICIOUS, MALICIOUS-BEC, SPOOF], live [MALICIOUS, SPOOF]; lookback_hops git 2, live 1"
assert_contains "$T/text" "• shop.example.com: in git, not protected in Cloudflare"
assert_contains "$SINK_LOG" "POST /services/T000/B000/very-secret-path"
assert_contains "$SINK_LOG" "Content-Type: application/json"
assert_not_contains "$SINK_LOG" "$TOKEN"
assert_not_contains "$SINK_LOG" "Authorization"

# A webhook that keeps failing: retried, then exit 1, its path never shown.
sink_start --status 500
before=$(grep -c '^POST ' "$SINK_LOG")
expect_exit 1 drift --notify "$SINK_URL/hooks/very-secret-path" --retries 1
assert_contains "$ERR" "drift found, but notification to http://127.0.0.1:"
assert_contains "$ERR" "refused: HTTP 500"
assert_not_contains "$ERR" "very-secret-path"
assert_not_contains "$OUT" "very-secret-path"
assert_eq "$(($(grep -c '^POST ' "$SINK_LOG") - before))" 2 "attempts at a failing webhook (1 + 1 retry)"
# A webhook that cannot be used is an error before anything is sent.
expect_exit 1 drift --notify "http://hooks.example.com/x"
assert_contains "$ERR" "plain http"

# In sync: exit 0, and nothing is sent.
expect_exit 0 apply --auto-approve -q
sed -i '/shop.example.com:/,+2d' domains/example-com.yaml
commit . "drop shop"
sink_start
: >"$SINK_OUT"
expect_exit 0 drift --notify "$SINK_URL/services/x"
assert_contains "$OUT" "In sync: 7 domains as git says, 2 unmanaged."
[ ! -s "$SINK_OUT" ] || fail "a notification was sent while in sync"
expect_exit 0 drift --format json
assert_eq "$(jget "$OUT" .kind)" drift "kind in sync"
assert_eq "$(jget -n "$OUT" .changes)" 0 "no changes in sync"

# --prune makes undeclared live domains drift.
expect_exit 2 drift --prune --format json
assert_eq "$(jget "$OUT" .summary.delete)" 2 "undeclared domains under --prune"
assert_eq "$(jget "$OUT" '.changes[0].reason')" prune "reason under --prune"
assert_all_valid
echo ok
