#!/usr/bin/env bash
# The agent when things go wrong: a policy deny blocks self-heal; --once
# exits with plan's and apply's codes; drift made out of band is healed and
# notified once; an API outage is one "failing" and one "recovered"
# notification and /readyz 503 in between; SIGTERM during a self-heal apply
# lets what is in flight finish, records it, and exits 0.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/agent_lib.sh"

events_are() { [ "$(events "$1")" = "$2" ]; }

gen_state 3 >"$T/state.json"
sandbox_start "$T/state.json"
origin_init
gen_desired 3 1 >"$T/work/domains.yaml"
mkdir -p "$T/work/policies"
cat >"$T/work/policies/hops.yaml" <<'YAML'
name: hops
rules:
  - require:
      domains: ["*"]
      settings:
        lookback_hops: {max: 2}
YAML
push "d1 gets lookback_hops 3, which a policy denies"
REPO=file://$T/origin.git

# --- a policy deny blocks self-heal ---------------------------------------
agent_start --repo "$REPO" --interval 1h --self-heal
wait_until 30 metric_is 'mailward_cycles_total{result="ok"}' 1
assert_eq "$(metric 'mailward_policy_denied')" 1 "mailward_policy_denied"
assert_eq "$(stats .requests.patch)" 0 "PATCH requests under a deny"
assert_eq "$(live_hops 1)" 2 "d1 untouched under a deny"
assert_contains "$T/agent.err" "self_heal_denied"
# Without --webhook-secret-file there is no webhook route at all.
assert_eq "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' -X POST -H "X-Gitlab-Token: x" \
	"$AGENT_URL/hooks/git")" 404 "/hooks/git without a secret file"
agent_stop
expect_exit 3 agent --repo "$REPO" --once --self-heal
expect_exit 3 agent --repo "$REPO" --once
assert_eq "$(stats .requests.patch)" 0 "PATCH requests under a deny (--once)"

# --- --once: plan's codes, or apply's with --self-heal ----------------------
git -C "$T/work" rm -q policies/hops.yaml
push "no policy"
expect_exit 2 agent --repo "$REPO" --once
assert_eq "$(live_hops 1)" 2 "--once without --self-heal sends nothing"
expect_exit 0 agent --repo "$REPO" --once --self-heal
assert_eq "$(live_hops 1)" 3 "--once --self-heal applied"
expect_exit 0 agent --repo "$REPO" --once
expect_exit 1 agent --repo "$REPO" --once --interval 5x
assert_contains "$ERR" "--interval takes a duration"
expect_exit 1 agent --repo "$REPO" --listen 127.0.0.1
assert_contains "$ERR" "--listen takes ADDR:PORT"
expect_exit 1 agent --repo "$REPO" --webhook-secret-file "$T/nothing-here"
expect_exit 1 agent --repo "$REPO" --notify http://example.com/hook
assert_contains "$ERR" "--notify"

# --- drift made out of band: healed, and notified once ---------------------
sink_start
agent_start --repo "$REPO" --interval 0.5 --self-heal --notify "$SINK_URL"
wait_until 30 metric_at_least 'mailward_cycles_total{result="ok"}' 1
api PATCH "/accounts/$ACCOUNT/email-security/settings/domains/00000002-0000-4000-8000-000000000002" \
	--data '{"lookback_hops": 7}' >/dev/null
wait_until 30 metric_is 'mailward_operations_total{action="update",outcome="applied"}' 1
assert_eq "$(live_hops 2)" 2 "d2 healed"
ok=$(metric 'mailward_cycles_total{result="ok"}')
wait_until 30 metric_at_least 'mailward_cycles_total{result="ok"}' $((ok + 3))
assert_eq "$(events applied)" 1 "applied notifications"
assert_eq "$(events drift)" 0 "drift notifications for drift healed in its cycle"
assert_eq "$(events failing)" 0 "failing notifications"
assert_contains "$SINK_OUT" '"text"'
agent_stop

# --- reporting: drift found once, resolved once, never once per cycle -------
rm -f "$SINK_OUT"
sed -i 's/d3.example.com: {lookback_hops: 2}/d3.example.com: {lookback_hops: 5}/' "$T/work/domains.yaml"
push "d3 gets lookback_hops 5"
patches=$(stats .requests.patch)
agent_start --repo "$REPO" --interval 0.5 --notify "$SINK_URL"
wait_until 30 metric_at_least 'mailward_cycles_total{result="ok"}' 4
assert_eq "$(events drift)" 1 "drift notifications over several cycles in drift"
grep -q '"kind": *"drift"' "$SINK_OUT" || fail "the drift notification is not the drift report"
sed -i 's/d3.example.com: {lookback_hops: 5}/d3.example.com: {lookback_hops: 2}/' "$T/work/domains.yaml"
push "d3 back to 2"
wait_until 30 events_are resolved 1
ok=$(metric 'mailward_cycles_total{result="ok"}')
wait_until 30 metric_at_least 'mailward_cycles_total{result="ok"}' $((ok + 3))
assert_eq "$(events drift)/$(events resolved)" 1/1 "drift/resolved notifications"
assert_eq "$(stats .requests.patch)" "$patches" "PATCH requests without --self-heal"
agent_stop

# --- an API outage: failing once, /readyz 503, recovered once --------------
rm -f "$SINK_OUT"
gen_desired 3 0 >"$T/work/domains.yaml"
push "what the fresh sandbox holds"
# The API's message carries a terminal escape: it never reaches the log raw.
sandbox_restart "$T/state.json" \
	--fault "op=list,action=status,status=503,after=1,count=8,message=$(printf 'evil\033[2Jmsg')"
agent_start --repo "$REPO" --interval 1s --retries 0 --notify "$SINK_URL"
wait_until 30 metric_is 'mailward_cycles_total{result="ok"}' 1
readyz_is() { [ "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$AGENT_URL/readyz")" = "$1" ]; }
wait_until 30 readyz_is 503
assert_eq "$(metric 'mailward_last_cycle_success')" 0 "last cycle success during the outage"
wait_until 30 events_are recovered 1
assert_eq "$(events failing)" 1 "failing notifications"
assert_eq "$(metric 'mailward_cycles_total{result="error"}')" 8 "failed cycles"
assert_eq "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$AGENT_URL/readyz")" 200 "/readyz after recovery"
ok=$(metric 'mailward_cycles_total{result="ok"}')
wait_until 30 metric_at_least 'mailward_cycles_total{result="ok"}' $((ok + 2))
assert_eq "$(events recovered)" 1 "recovered notifications"
assert_contains "$T/agent.err" 'evil'
if grep -q "$(printf '\033')" "$T/agent.err"; then
	fail "a raw escape character from the API reached the log"
fi
assert_eq "$(events drift)" 0 "drift notifications while in sync"
agent_stop
sink_stop

# --- SIGTERM during a self-heal apply: exit 0, everything recorded ---------
gen_state 10 >"$T/state10.json"
sandbox_restart "$T/state10.json" --latency-ms 1500
gen_desired 10 3 >"$T/work/domains.yaml"
push "three changes"
agent_start --repo "$REPO" --interval 1h --self-heal --concurrency 1 --rate 0 --audit-log "$T/audit.jsonl"
wait_until 30 grep -q '^Applying' "$T/agent.out"
sleep 0.5
t0=$(date +%s)
agent_stop
[ $(($(date +%s) - t0)) -le 10 ] || fail "the agent took more than 10 s to stop"
patches=$(stats .requests.patch)
[ "$patches" -ge 1 ] && [ "$patches" -lt 3 ] || fail "$patches PATCH requests: SIGTERM should stop after the one in flight"
grep -q '"outcome": *"applied"' "$T/audit.jsonl" || fail "the request in flight is not recorded"
grep -q '"outcome": *"not_sent"' "$T/audit.jsonl" || fail "the requests not sent are not recorded"
# The log the agent leaves verifies: whole chain, every intent with its result.
expect_exit 0 audit verify "$T/audit.jsonl"
assert_contains "$T/agent.err" "agent_stop reason=signal"
assert_all_valid
echo ok
