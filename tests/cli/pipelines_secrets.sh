#!/usr/bin/env bash
# No example puts a secret on a command line (any local user reads those in
# ps and /proc/PID/cmdline). The scripts of examples/pipelines/bin and the
# GitHub drift step run with recognisable secrets: the webhook URL
# (SECRET-NOTIFY-...), from MAILWARD_NOTIFY_URL and from its file, the git
# token (SECRET-GIT-...), from MAILWARD_GIT_TOKEN_FILE and MAILWARD_GIT_TOKEN,
# and the Cloudflare token, from the environment and a file. Meanwhile a
# loop reads /proc/*/cmdline of every process, and the `mailward` the
# scripts run is a shim that records its own command line and its
# parent's: no secret may appear in either. The notifications still arrive
# (the URL did reach mailward). The loop is shown to catch a secret on a
# command line first (a process started with one).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipelines_lib.sh"

NOTIFY_SECRET=SECRET-NOTIFY-1234-$RANDOM
GIT_SECRET=SECRET-GIT-5678-$RANDOM
NET=b7e2d1c0-5a4f-4e3d-9c2b-1a0f9e8d7c6b # example.net in live-state.json

# No example file passes the webhook or a token as an option.
if grep -rnE -- '--notify[ =]|--token[ =]|--git-token[ =]|x-access-token:' "$PIPE" \
	"$EXAMPLES/../action.yml" 2>/dev/null | grep -v '^[^:]*:[0-9]*: *#'; then
	fail "an example passes a secret as an option (above)"
fi

# --- every program the scripts start, with its arguments (strace) ----------
# A process that lives a millisecond escapes any watcher; strace sees every
# execve. Where ptrace is not allowed (some containers), the watcher and the
# shim below still check, and the test says so.
if strace -f -qq -e trace=execve -o /dev/null true 2>/dev/null; then
	TRACE_EXECS=$T/execs
else
	echo "note: strace cannot trace here: the watcher and the shim check alone" >&2
fi

# --- the shim: mailward's command line and its parent's ------------------
mv "$T/path/mailward" "$T/path/mailward-inner"
cat >"$T/path/mailward" <<EOF
#!/bin/sh
{ tr '\\0' ' ' </proc/\$\$/cmdline; echo; tr '\\0' ' ' </proc/\$PPID/cmdline; echo; } >>"$T/cmdlines"
exec "$T/path/mailward-inner" "\$@"
EOF
chmod +x "$T/path/mailward"

# --- the watcher: every process's command line, every 10 ms --------------
applied_origin
sink_start
# Drift for the scripts to find. The test's own requests carry the token on
# curl's command line: they are made before the watcher starts, and the
# assertions below take the secrets from files, never as arguments.
api PATCH "/accounts/$ACCOUNT/email-security/settings/domains/$NET" -d '{"lookback_hops": 6}' >/dev/null
: >"$T/leaks"
# The secrets go to grep in a file: on its own command line, grep would
# find them in its own /proc/PID/cmdline.
printf '%s\n' "$NOTIFY_SECRET" "$GIT_SECRET" "$TOKEN" >"$T/patterns"
watch_cmdlines() {
	local f line
	# A sweep that finds nothing is the good case, not a reason to stop
	# (this runs in its own background process: the test keeps set -e).
	set +e +o pipefail
	# It also ends with the test ($$ is the test's shell), even one that failed.
	while [ ! -e "$T/watch.stop" ] && kill -0 $$ 2>/dev/null; do
		# The sandbox is the test's own fixture: it takes its token as an option.
		grep -a -l -F -f "$T/patterns" /proc/[0-9]*/cmdline 2>/dev/null |
			grep -v "^/proc/$SANDBOX_PID/" |
			while read -r f; do
				# A process that ended since is still a leak: name it, even unread.
				line=$(tr '\0' ' ' <"$f" 2>/dev/null) || line='(ended before it was read)'
				printf '%s: %s\n' "$f" "$line" >>"$T/leaks"
			done
		sleep 0.01
	done
}
watch_cmdlines &
WATCH_PID=$!
# Stop the watcher: it ends its sweep within seconds; a sweep stuck on a
# process's /proc entry (a loaded machine) is cut short.
stop_watch() {
	touch "$T/watch.stop"
	for _ in $(seq 1 500); do
		kill -0 "$WATCH_PID" 2>/dev/null || break
		sleep 0.01
	done
	if kill -0 "$WATCH_PID" 2>/dev/null; then
		echo "note: the watcher's last sweep did not end; it was stopped" >&2
		pkill -P "$WATCH_PID" 2>/dev/null || true
		kill "$WATCH_PID" 2>/dev/null || true
	fi
	wait "$WATCH_PID" 2>/dev/null || true
}
# The watcher sees a secret on a command line (else this test proves
# nothing): a decoy lives until it is seen (at most 30 s: on a loaded
# machine a sweep can take long); what the watcher says of the decoy's pid
# is left out at the end. (Two commands: with one, sh could exec sleep and
# drop its arguments.)
sh -c 'sleep 30; :' "$NOTIFY_SECRET" &
DECOY=$!
for _ in $(seq 1 3000); do
	[ -s "$T/leaks" ] && break
	sleep 0.01
done
pkill -P "$DECOY" 2>/dev/null || true # its sleep, which holds our stdout
kill "$DECOY" 2>/dev/null || true
wait "$DECOY" 2>/dev/null || true
[ -s "$T/leaks" ] || { stop_watch; fail "the watcher did not see a secret on a command line"; }

# --- the scripts, with the secrets -----------------------------------------
cd "$WORK"
export MAILWARD_PATH=desired
HOOK=$SINK_URL/services/T000/B000/$NOTIFY_SECRET
mkdir -p "$T/secrets"
echo "$HOOK" >"$T/secrets/notify-url"
echo "$GIT_SECRET" >"$T/secrets/git-token"
echo "$TOKEN" >"$T/secrets/token"

# The webhook from the environment, then from a file.
MAILWARD_NOTIFY_URL=$HOOK expect_script 2 mailward-drift
MAILWARD_NOTIFY_URL_FILE=$T/secrets/notify-url expect_script 2 mailward-drift -q
(
	unset CLOUDFLARE_API_TOKEN
	MAILWARD_TOKEN_FILE=$T/secrets/token MAILWARD_NOTIFY_URL_FILE=$T/secrets/notify-url \
		expect_script 2 mailward-drift
) || exit 1
assert_eq "$(wc -l <"$SINK_OUT")" 3 "notifications delivered"
grep -qF -f <(printf '%s\n' "POST /services/T000/B000/$NOTIFY_SECRET") "$SINK_LOG" ||
	fail "the webhook was not called at its secret path"

# The nightly GitHub job's Drift step, as written, with its env.
GITHUB_STEP_SUMMARY=$T/summary.md MAILWARD_NOTIFY_URL=$HOOK \
	run_step "$PIPE/github/mailward-drift.yml" Drift "-o pipefail"
[ "$RC" = 2 ] || fail "the Drift step exited $RC, expected 2"
assert_eq "$(wc -l <"$SINK_OUT")" 4 "the Drift step notified"

# A private https:// repository: the token from a file and from the
# environment (nothing listens on the port: the fetch fails at once).
for how in file env; do
	set +e
	if [ "$how" = file ]; then
		MAILWARD_REPO=https://127.0.0.1:9/acme/desired.git MAILWARD_CACHE_DIR=$T/cache-$how \
			MAILWARD_GIT_TOKEN_FILE=$T/secrets/git-token run_script mailward-drift --timeout 5
	else
		MAILWARD_REPO=https://127.0.0.1:9/acme/desired.git MAILWARD_CACHE_DIR=$T/cache-$how \
			MAILWARD_GIT_TOKEN=$GIT_SECRET run_script mailward-drift --timeout 5
	fi
	set -e
	[ "$RC" = 1 ] || fail "a repository nobody serves ($how): exit $RC"
	assert_contains "$ERR" "127.0.0.1:9"
	if grep -qF -f <(printf '%s\n' "$GIT_SECRET") "$ERR"; then
		fail "the git token is in mailward's messages ($how)"
	fi
done

# Plan and apply, the Cloudflare token from a file.
(
	unset CLOUDFLARE_API_TOKEN
	MAILWARD_TOKEN_FILE=$T/secrets/token expect_script 0 mailward-pr-plan
	MAILWARD_TOKEN_FILE=$T/secrets/token MAILWARD_REQUIRE_ANCESTOR=HEAD \
		expect_script 0 mailward-apply plan.json
) || exit 1

stop_watch
grep -v "^/proc/$DECOY/" "$T/leaks" >"$T/leaks.real" || true
if [ -s "$T/leaks.real" ]; then
	cat "$T/leaks.real" >&2
	fail "a secret was on a command line (above)"
fi
if [ -n "${TRACE_EXECS:-}" ]; then
	traces=$(find "$T" -maxdepth 1 -name 'execs.*' | wc -l)
	[ "$traces" -ge 8 ] || fail "strace traced $traces runs"
	grep -q 'execve(".*mailward-inner"' "$TRACE_EXECS".* || fail "strace saw no mailward run"
	if grep -hF -f "$T/patterns" "$TRACE_EXECS".* >&2; then
		fail "a program was started with a secret among its arguments (above)"
	fi
fi
for s in "$NOTIFY_SECRET" "$GIT_SECRET" "$TOKEN"; do
	if grep -F -- "$s" "$T/cmdlines" >&2; then fail "a secret on mailward's or its parent's command line"; fi
done
assert_contains "$T/cmdlines" "--git-token-file $T/secrets/git-token"
assert_contains "$T/cmdlines" "--token-file $T/secrets/token"
[ "$(grep -c . "$T/cmdlines")" -ge 14 ] || fail "the shim saw too few runs: $(cat "$T/cmdlines")"
assert_all_valid
echo ok
