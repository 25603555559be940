#!/usr/bin/env bash
# The agent: reports drift in /metrics and /status; a pushed commit and a
# signed webhook start the next cycle at once and, with --self-heal, live
# converges to the new commit; a bad signature gets 401 and starts nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/agent_lib.sh"

NAMES=(mailward_cycles_total:counter mailward_last_cycle_success:gauge
	mailward_last_cycle_timestamp_seconds:gauge mailward_last_success_timestamp_seconds:gauge
	mailward_cycle_duration_seconds:histogram mailward_domains:gauge
	mailward_operations_total:counter mailward_api_requests_total:counter
	mailward_policy_denied:gauge mailward_source_info:gauge)

gen_state 3 >"$T/state.json"
sandbox_start "$T/state.json"
origin_init
gen_desired 3 1 >"$T/work/domains.yaml"
push "d1 gets lookback_hops 3"
REPO=file://$T/origin.git

# --- reporting: drift found, nothing sent ---------------------------------
agent_start --repo "$REPO" --ref main --interval 1h --webhook-secret-file "$T/hook.secret"
wait_until 30 metric_is 'mailward_cycles_total{result="ok"}' 1
"$PROM_CHECK" "$T/metrics.txt" "${NAMES[@]}" >/dev/null || fail "/metrics is not valid exposition text"
assert_eq "$(metric 'mailward_domains{state="drifted"}')" 1 "drifted domains"
assert_eq "$(metric 'mailward_domains{state="in_sync"}')" 2 "domains in sync"
assert_eq "$(metric 'mailward_last_cycle_success')" 1 "last cycle success"
assert_eq "$(metric 'mailward_policy_denied')" 0 "policy denied"
assert_eq "$(metric "mailward_source_info{commit=\"$PUSHED\",ref=\"main\"}")" 1 "source info"
assert_eq "$(metric 'mailward_api_requests_total{method="GET",code="200"}')" 1 "API requests"
agent_get /status >"$T/status.json"
assert_eq "$(jget "$T/status.json" .last_cycle.result)" ok "status result"
assert_eq "$(jget "$T/status.json" .last_cycle.in_sync)" false "status in_sync"
assert_eq "$(jget "$T/status.json" .last_cycle.summary.update)" 1 "status updates"
assert_eq "$(jget "$T/status.json" .last_cycle.commit)" "$PUSHED" "status commit"
assert_eq "$(stats .requests.patch)" 0 "PATCH requests without --self-heal"
code() { curl -s --noproxy '*' --max-time 10 -o /dev/null -w '%{http_code}' "$@"; }
assert_eq "$(code "$AGENT_URL/healthz")" 200 "/healthz"
assert_eq "$(code "$AGENT_URL/readyz")" 200 "/readyz"
assert_eq "$(code "$AGENT_URL/nowhere")" 404 "unknown path"
assert_eq "$(code -X POST "$AGENT_URL/metrics")" 405 "POST /metrics"
assert_eq "$(code "$AGENT_URL/hooks/git")" 405 "GET /hooks/git"

# --- webhooks that must start nothing ------------------------------------
printf '{"ref":"refs/heads/main"}' >"$T/body.json"
printf '{"ref":"refs/heads/other"}' >"$T/other.json"
assert_eq "$(code -X POST --data-binary @"$T/body.json" "$AGENT_URL/hooks/git")" 401 "no signature"
assert_eq "$(code -X POST --data-binary @"$T/body.json" -H "X-Hub-Signature-256: $(sign "$T/other.json")" \
	"$AGENT_URL/hooks/git")" 401 "signature of another body"
assert_eq "$(code -X POST --data-binary @"$T/body.json" -H 'X-Hub-Signature-256: sha256=00' \
	"$AGENT_URL/hooks/git")" 401 "short signature"
assert_eq "$(code -X POST --data-binary @"$T/body.json" -H 'X-Gitlab-Token: wrong' \
	"$AGENT_URL/hooks/git")" 401 "wrong GitLab token"
head -c 1100000 /dev/zero >"$T/big.bin"
assert_eq "$(code -X POST --data-binary @"$T/big.bin" -H "X-Hub-Signature-256: $(sign "$T/big.bin")" \
	"$AGENT_URL/hooks/git")" 413 "a body over 1 MiB"
sleep 1.5
assert_eq "$(metric 'mailward_cycles_total{result="ok"}')" 1 "cycles after refused webhooks"
assert_eq "$(metric 'mailward_webhooks_total{result="refused"}')" 5 "refused webhooks"
assert_not_contains "$T/agent.err" "$SECRET"
assert_not_contains "$T/agent.err" "refs/heads"

# --- a signed webhook starts a cycle at once -----------------------------
assert_eq "$(code -X POST --data-binary @"$T/body.json" -H "X-Hub-Signature-256: $(sign "$T/body.json")" \
	"$AGENT_URL/hooks/git")" 202 "signed webhook"
wait_until 10 metric_is 'mailward_cycles_total{result="ok"}' 2
assert_contains "$T/agent.err" "cycle_start trigger=webhook"
agent_stop
assert_contains "$T/agent.err" "agent_stop reason=signal"

# --- self-heal: live converges to each pushed commit ---------------------
agent_start --repo "$REPO" --ref main --interval 1h --self-heal --webhook-secret-file "$T/hook.secret" \
	--log-format json
wait_until 30 metric_is 'mailward_cycles_total{result="ok"}' 1
assert_eq "$(live_hops 1)" 3 "d1 healed by the first cycle"
assert_eq "$(metric 'mailward_operations_total{action="update",outcome="applied"}')" 1 "updates applied"
assert_eq "$(metric 'mailward_domains{state="drifted"}')" 0 "drifted after self-heal"
sed -i 's/d2.example.com: {lookback_hops: 2}/d2.example.com: {lookback_hops: 4}/' "$T/work/domains.yaml"
push "d2 gets lookback_hops 4"
assert_eq "$(code -X POST --data-binary @"$T/body.json" -H "X-Gitlab-Token: $SECRET" \
	"$AGENT_URL/hooks/git")" 202 "GitLab webhook"
wait_until 20 metric_is 'mailward_cycles_total{result="ok"}' 2
assert_eq "$(live_hops 2)" 4 "d2 converged to the pushed commit"
agent_get /status >"$T/status.json"
assert_eq "$(jget "$T/status.json" .last_cycle.commit)" "$PUSHED" "status commit after the push"
assert_eq "$(jget "$T/status.json" .last_cycle.in_sync)" true "in sync after self-heal"
assert_eq "$(jget "$T/status.json" .last_cycle.applied.updated)" 1 "status applied"
# JSON logs: one object per line, with time, level, event and fields.
while IFS= read -r line; do
	printf '%s\n' "$line" >"$T/line.json"
	jget "$T/line.json" .event >/dev/null || fail "not a JSON log line: $line"
	jget "$T/line.json" .time >/dev/null || fail "log line without time: $line"
done < <(grep -v '^Applying\|^  ' "$T/agent.err")
agent_stop
assert_all_valid
echo "ok"
