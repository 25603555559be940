#!/usr/bin/env bash
# notify_first: drift's webhook (--notify, else MAILWARD_NOTIFY_URL; the
# flag wins) is checked before any work: a URL that could never be used
# exits 1 at once with a clear message that shows only its origin, before
# git is read or the API is listed, and whether or not there is drift.
. "$(dirname "$0")/lib.sh"

sandbox_start "$EXAMPLES/live-state.json"
demo_repo
sink_start

# Each refused before any request and before git: the repository does not
# even exist, and the sandbox and the sink see nothing.
refused() {
	local why=$1
	shift
	reset_stats
	expect_exit 1 drift --repo "$T/no-such-repo" "$@"
	assert_contains "$ERR" "$why"
	assert_contains "$ERR" "nothing was read or sent"
	assert_not_contains "$ERR" "no-such-repo"
	assert_not_contains "$ERR" "SECRET"
	assert_eq "$(stats .requests.total)" 0 "API requests with a bad notify URL"
	[ ! -s "$SINK_OUT" ] || fail "the webhook got a request"
}
refused "--notify http://hooks.example.com/...: the notification URL uses plain http: only a loopback host" \
	--notify "http://hooks.example.com/services/SECRET"
refused "--notify ftp://hooks.example.com/...: the notification URL must use https" \
	--notify "ftp://hooks.example.com/SECRET"
refused "--notify: the notification URL is not a valid absolute URL" --notify "SECRET-token-pasted"
refused "the notification URL must not have a fragment" --notify "https://hooks.example.com/x#SECRET"
MAILWARD_NOTIFY_URL="http://10.0.0.1/SECRET" \
	refused "MAILWARD_NOTIFY_URL http://10.0.0.1/...: the notification URL uses plain http"

# In sync: still checked (drift is not needed to find a broken webhook).
mkdir -p "$T/insync"
"$MAILWARD" import --out "$T/insync/all.yaml" --account-id "$ACCOUNT" 2>/dev/null
make_repo "$T/insync"
expect_exit 0 drift --repo "$T/insync"
expect_exit 1 drift --repo "$T/insync" --notify "http://example.com/SECRET"
assert_contains "$ERR" "uses plain http"

# The flag wins over the environment, both ways.
MAILWARD_NOTIFY_URL="http://example.com/SECRET" expect_exit 2 drift --notify "$SINK_URL/hook"
assert_contains "$ERR" "drift notification sent"
assert_eq "$(wc -l <"$SINK_OUT")" 1 "notifications received"
MAILWARD_NOTIFY_URL="$SINK_URL/hook" expect_exit 1 drift --notify "http://example.com/SECRET"
assert_contains "$ERR" "--notify http://example.com/..."
assert_eq "$(wc -l <"$SINK_OUT")" 1 "notifications received"
# A good URL from the environment alone.
MAILWARD_NOTIFY_URL="$SINK_URL/hook" expect_exit 2 drift
assert_eq "$(wc -l <"$SINK_OUT")" 2 "notifications received"
