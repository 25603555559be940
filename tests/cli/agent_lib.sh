# tests/cli/agent_lib.sh: what the agent's end-to-end tests share (after lib.sh).
#
#   origin_init                    a bare repository $T/origin.git and a clone $T/work to push from
#   push MESSAGE                   commit everything in $T/work and push it; HEAD's sha in $PUSHED
#   agent_start ARGS...            start `mailward agent` (--listen 127.0.0.1:0 unless given),
#                                  wait for its port: $AGENT_URL, $AGENT_PID; log in $T/agent.err
#   agent_stop                     SIGTERM, wait; fail unless it exits 0 within 30 s
#   metric 'NAME{LABELS}'          the value of one sample of /metrics, or "absent"
#   wait_until SECONDS CMD...      poll CMD every 0.1 s until it succeeds; fail after SECONDS
#   sink_start / sink_stop         the webhook-sink helper as the notify receiver: $SINK_URL,
#                                  what it received (one JSON body per line) in $SINK_OUT
#   sign FILE                      X-Hub-Signature-256 of FILE's bytes with $SECRET

: "${PROM_CHECK:?PROM_CHECK must name the prom-check helper}"
: "${WEBHOOK_SINK:?WEBHOOK_SINK must name the webhook-sink helper}"

AGENT_PID=
AGENT_URL=
SINK_OUT=$T/sink.jsonl
SECRET=hook-secret-$RANDOM$RANDOM
printf '  %s\n' "$SECRET" >"$T/hook.secret"

origin_init() {
	git init -q --bare -b main "$T/origin.git"
	git clone -q "$T/origin.git" "$T/work" 2>/dev/null
	git -C "$T/work" checkout -q -b main 2>/dev/null || true
}

push() {
	git -C "$T/work" add -A
	git -C "$T/work" commit -q --allow-empty -m "$1"
	git -C "$T/work" push -q origin main 2>/dev/null
	PUSHED=$(git -C "$T/work" rev-parse HEAD)
}

agent_start() {
	local listen=(--listen 127.0.0.1:0)
	case " $* " in *" --listen "*) listen=() ;; esac
	rm -f "$T/agent.err"
	"${WRAP[@]}" "$MAILWARD" agent "${listen[@]}" "$@" >"$T/agent.out" 2>"$T/agent.err" &
	AGENT_PID=$!
	for _ in $(seq 1 600); do
		local port
		port=$(sed -n -e 's/.* listening port=\([0-9]*\).*/\1/p' \
			-e 's/.*"event":"listening","fields":{"port":"\([0-9]*\)".*/\1/p' "$T/agent.err" 2>/dev/null)
		if [ -n "$port" ]; then
			AGENT_URL=http://127.0.0.1:$port
			return 0
		fi
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/agent.err" >&2
	fail "the agent did not start"
}

agent_stop() {
	local rc=0
	[ -n "$AGENT_PID" ] || return 0
	kill -TERM "$AGENT_PID" 2>/dev/null || true
	for _ in $(seq 1 300); do
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$AGENT_PID" 2>/dev/null; then
		kill -KILL "$AGENT_PID" 2>/dev/null || true
		AGENT_PID=
		fail "the agent did not exit within 30 s of SIGTERM"
	fi
	wait "$AGENT_PID" || rc=$?
	AGENT_PID=
	[ "$rc" = 0 ] || { cat "$T/agent.err" >&2; fail "the agent exited $rc after SIGTERM, expected 0"; }
}

agent_get() {
	curl -s --noproxy '*' --max-time 10 "$AGENT_URL$1"
}

metric() {
	agent_get /metrics >"$T/metrics.txt"
	local line
	line=$(grep -F -- "$1 " "$T/metrics.txt" | grep -v '^#' | head -1 || true)
	if [ -z "$line" ]; then
		echo absent
	else
		echo "${line##* }"
	fi
}

wait_until() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		if "$@"; then
			return 0
		fi
		sleep 0.1
	done
	cat "$T/agent.err" >&2 2>/dev/null || true
	fail "timed out after $secs s waiting for: $*"
}

metric_is() {
	[ "$(metric "$1")" = "$2" ]
}

metric_at_least() {
	local v
	v=$(metric "$1")
	[ "$v" != absent ] && [ "$v" -ge "$2" ]
}



# How many notifications of EVENT the sink received.
events() {
	if [ -f "$SINK_OUT" ]; then
		grep -c "\"event\": *\"$1\"" "$SINK_OUT" || true
	else
		echo 0
	fi
}

sign() {
	printf 'sha256=%s' "$(openssl dgst -sha256 -hmac "$SECRET" -r <"$1" | cut -d' ' -f1)"
}

# A domain's live lookback_hops, straight from the sandbox.
live_hops() {
	api GET "/accounts/$ACCOUNT/email-security/settings/domains/$(printf '%08x-0000-4000-8000-%012x' "$1" "$1")" >"$T/dom.json"
	jget "$T/dom.json" .result.lookback_hops
}

agent_cleanup() {
	if [ -n "$AGENT_PID" ]; then
		kill -KILL "$AGENT_PID" 2>/dev/null || true
		wait "$AGENT_PID" 2>/dev/null || true
	fi
	sink_stop
	cleanup
}
trap agent_cleanup EXIT
