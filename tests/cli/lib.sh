# tests/cli/lib.sh: what every end-to-end test sources.
#
# Each test is a bash script that builds real git repositories in a
# temporary folder, starts the real mailward-sandbox on 127.0.0.1 (port 0),
# and drives the real mailward binary against it. meson passes the binaries
# in MAILWARD, SANDBOX and JSON_GET. Under `meson test --setup valgrind`
# (MAILWARD_VALGRIND=1) every mailward run goes through memcheck.
#
# Helpers:
#   mw ARGS...                 run mailward (output to $OUT and $ERR, status in $RC)
#   expect_exit N ARGS...      run mailward, fail unless it exits N
#   sandbox_start STATE [FLAG...]   start the sandbox, export MAILWARD_API_URL
#   sandbox_stop               stop it (SIGTERM) and wait
#   stats PATH                 one value of the sandbox's live statistics
#   jget FILE PATH             one value of a JSON file (json-get)
#   make_repo DIR              git init + commit everything in DIR
#   commit DIR MESSAGE         commit everything in DIR
#   gen_state N [ACCOUNT]      a --state file with N domains d<i>.example.com
#   assert_contains FILE TEXT / assert_not_contains FILE TEXT / assert_eq A B MSG
#   fail MESSAGE

set -euo pipefail

: "${MAILWARD:?MAILWARD must name the mailward binary}"
: "${SANDBOX:?SANDBOX must name the mailward-sandbox binary}"
: "${JSON_GET:?JSON_GET must name the json-get helper}"

ACCOUNT=023e105f4ecef8ad9ca31a8372d0c353
OTHER_ACCOUNT=9a7806061c88ada191ed06f989cc3dac
TOKEN=test-token-$RANDOM$RANDOM-secret
T=$(mktemp -d "${TMPDIR:-/tmp}/mailward-test.XXXXXX")
OUT=$T/out
ERR=$T/err
RC=0
SANDBOX_PID=
SANDBOX_BASE=

export CLOUDFLARE_API_TOKEN=$TOKEN
export NO_COLOR=1
export XDG_CACHE_HOME=$T/cache
export GIT_AUTHOR_NAME=tester GIT_AUTHOR_EMAIL=tester@example.com
export GIT_COMMITTER_NAME=tester GIT_COMMITTER_EMAIL=tester@example.com
export GIT_CONFIG_NOSYSTEM=1 HOME=$T/home
unset CLOUDFLARE_ACCOUNT_ID CLOUDFLARE_EMAIL CLOUDFLARE_API_KEY MAILWARD_API_URL GITHUB_ACTOR \
	GITLAB_USER_LOGIN SOURCE_DATE_EPOCH
mkdir -p "$HOME"

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WRAP=()
if [ "${MAILWARD_VALGRIND:-}" = 1 ]; then
	WRAP=(valgrind --quiet --error-exitcode=99 --leak-check=full
		--errors-for-leak-kinds=definite --show-leak-kinds=definite
		--suppressions="$TESTS_DIR/valgrind.supp")
fi
# In an ASan build, LeakSanitizer knows the same leaks that are not ours.
export LSAN_OPTIONS="suppressions=$TESTS_DIR/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

cleanup() {
	sink_stop
	sandbox_stop
	rm -rf "$T"
}
trap cleanup EXIT

# webhook-sink on 127.0.0.1, the receiver of notifications and CI glue calls:
# sink_start [webhook-sink options...] sets $SINK_URL; what it received is in
# $SINK_OUT, its request log in $SINK_LOG.
SINK_PID=
SINK_URL=
SINK_OUT=${SINK_OUT:-$T/sink.out}
SINK_LOG=${SINK_LOG:-$T/sink.log}
sink_start() {
	sink_stop
	rm -f "$T/sink.stdout"
	"$WEBHOOK_SINK" --out "$SINK_OUT" --log "$SINK_LOG" "$@" >"$T/sink.stdout" 2>"$T/sink.err" &
	SINK_PID=$!
	for _ in $(seq 1 200); do
		if grep -q '^listening on ' "$T/sink.stdout" 2>/dev/null; then
			SINK_URL=$(sed -n 's/^listening on //p' "$T/sink.stdout")
			return 0
		fi
		kill -0 "$SINK_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/sink.err" >&2
	fail "webhook-sink did not start"
}

sink_stop() {
	if [ -n "$SINK_PID" ]; then
		kill -TERM "$SINK_PID" 2>/dev/null || true
		wait "$SINK_PID" 2>/dev/null || true
		SINK_PID=
	fi
}

fail() {
	echo "FAIL: $*" >&2
	echo "--- stdout of the last mailward run:" >&2
	cat "$OUT" >&2 2>/dev/null || true
	echo "--- stderr of the last mailward run:" >&2
	cat "$ERR" >&2 2>/dev/null || true
	exit 1
}

mw() {
	set +e
	"${WRAP[@]}" "$MAILWARD" "$@" >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	if [ "$RC" = 99 ]; then
		fail "valgrind found errors in: mailward $*"
	fi
}

expect_exit() {
	local want=$1
	shift
	mw "$@"
	[ "$RC" = "$want" ] || fail "mailward $* exited $RC, expected $want"
}

jget() {
	"$JSON_GET" "$@"
}

sandbox_start() {
	local state=$1
	shift
	sandbox_stop
	# The last sandbox's "listening on" line must not be read for this one.
	rm -f "$T/sandbox.out"
	"$SANDBOX" --state "$state" --listen 127.0.0.1:0 --token "$TOKEN" "$@" \
		>"$T/sandbox.out" 2>"$T/sandbox.err" &
	SANDBOX_PID=$!
	for _ in $(seq 1 200); do
		if grep -q '^listening on ' "$T/sandbox.out" 2>/dev/null; then
			MAILWARD_API_URL=$(sed -n 's/^listening on //p' "$T/sandbox.out")
			export MAILWARD_API_URL
			SANDBOX_BASE=${MAILWARD_API_URL%/client/v4}
			return 0
		fi
		kill -0 "$SANDBOX_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/sandbox.err" >&2
	fail "the sandbox did not start"
}

sandbox_stop() {
	if [ -n "$SANDBOX_PID" ]; then
		kill -TERM "$SANDBOX_PID" 2>/dev/null || true
		wait "$SANDBOX_PID" 2>/dev/null || true
		SANDBOX_PID=
	fi
}

# The CA of a sandbox serving https (tls.sh), for curl's checks.
SANDBOX_CA=${SANDBOX_CA:-}
curl_sandbox() {
	curl -s --noproxy '*' ${SANDBOX_CA:+--cacert "$SANDBOX_CA"} "$@"
}

# The sandbox's statistics, live (curl on loopback only).
stats() {
	curl_sandbox "$SANDBOX_BASE/__sandbox/stats" >"$T/stats.json"
	jget "$T/stats.json" "$1"
}

reset_stats() {
	curl_sandbox -X POST "$SANDBOX_BASE/__sandbox/reset-stats" >/dev/null
}

# Every request any test sends must validate against the OpenAPI document.
assert_all_valid() {
	local invalid
	invalid=$(stats .invalid)
	[ "$invalid" = 0 ] || fail "the sandbox answered $invalid request(s) with 400 (invalid)"
}

# curl against the sandbox's API, as another client of the real API would.
api() {
	local method=$1 path=$2
	shift 2
	curl_sandbox -X "$method" -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' "$MAILWARD_API_URL$path" "$@"
}

make_repo() {
	git -C "$1" init -q -b main
	commit "$1" "desired state"
}

commit() {
	git -C "$1" add -A
	git -C "$1" commit -q --allow-empty -m "$2"
}

gen_state() {
	local n=$1 account=${2:-$ACCOUNT} i
	{
		printf '{"accounts": {"%s": [\n' "$account"
		for ((i = 1; i <= n; i++)); do
			printf '{"id": "%08x-0000-4000-8000-%012x", "domain": "d%d.example.com", ' \
				"$i" "$i" "$i"
			printf '"allowed_delivery_modes": ["DIRECT"], "drop_dispositions": ["MALICIOUS"], '
			printf '"lookback_hops": 2, "regions": ["GLOBAL"], "require_tls_inbound": true}'
			[ "$i" -lt "$n" ] && printf ',\n'
		done
		printf '\n]}}\n'
	}
}

# Desired state for gen_state's domains: the first CHANGED get lookback_hops 3.
gen_desired() {
	local n=$1 changed=$2 i
	printf 'account_id: %s\ndomains:\n' "$ACCOUNT"
	for ((i = 1; i <= n; i++)); do
		if [ "$i" -le "$changed" ]; then
			printf '  d%d.example.com: {lookback_hops: 3}\n' "$i"
		else
			printf '  d%d.example.com: {lookback_hops: 2}\n' "$i"
		fi
	done
}

assert_contains() {
	grep -qF -- "$2" "$1" || fail "$1 does not contain: $2"
}

assert_not_contains() {
	if grep -qF -- "$2" "$1"; then
		fail "$1 contains: $2"
	fi
}

assert_eq() {
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

# The demo: the repository of examples/desired and the live state beside it.
EXAMPLES=${EXAMPLES:-$(dirname "$0")/../../examples}
demo_repo() {
	mkdir -p "$T/repo"
	cp -R "$EXAMPLES/desired/." "$T/repo/"
	make_repo "$T/repo"
	cd "$T/repo"
}

# --- added for the end-to-end suites (validate, source, account_auth, ...) ---

# The last run's standard output or standard error contains TEXT.
assert_output_contains() {
	grep -qF -- "$1" "$OUT" "$ERR" || fail "neither stdout nor stderr contains: $1"
}

# sandbox_start again in the same test. sandbox_start polls sandbox.out for
# the "listening on" line, and the new sandbox truncates that file only once
# it runs: the old line (the old port) can be read first. Remove it before.
sandbox_restart() {
	sandbox_stop
	rm -f "$T/sandbox.out"
	sandbox_start "$@"
}

# True when mailward runs under memcheck (meson test --setup valgrind): it is
# then 20 to 50 times slower, so checks of its own request timing (the
# client-side rate limit as the sandbox sees it) do not hold there.
under_valgrind() {
	[ "${MAILWARD_VALGRIND:-}" = 1 ]
}

