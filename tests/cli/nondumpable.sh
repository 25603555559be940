#!/usr/bin/env bash
# mailward makes itself non-dumpable before it reads a credential: no core
# file holds the API token, and other processes of the same user cannot
# ptrace it or read its /proc/PID/{mem,environ}. The kernel shows it: the
# /proc/PID files of a non-dumpable process belong to root, not to the
# user it runs as. So mailward runs as nobody (65534) against a sandbox
# that answers slowly, and while it waits, /proc/PID/environ must be
# root's. Without the prctl in main() it is 65534's and this test fails.
# Needs root (to switch users) and setpriv (util-linux); else exit 77, the
# skip code meson knows.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "skip: needs root and setpriv" >&2
	exit 77
fi
NOBODY=65534
# nobody must reach the binary and its own home; $T itself is 0700.
chmod 711 "$T"
mkdir -p "$T/nobody"
cp "$MAILWARD" "$T/nobody/mailward"
chmod 755 "$T/nobody" "$T/nobody/mailward"
chown "$NOBODY:$NOBODY" "$T/nobody"
if ! setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$T/nobody/mailward" version \
	>/dev/null 2>&1; then
	echo "skip: user $NOBODY cannot run mailward here" >&2
	exit 77
fi

gen_state 3 >"$T/state.json"
chmod 644 "$T/state.json"
sandbox_start "$T/state.json" --latency-ms 4000

# One run of NAME as nobody, waiting on the slow sandbox; prints the owner
# of its /proc/PID/environ while it waits.
environ_owner_while_waiting() {
	local pid exe owner=none
	HOME=$T/nobody XDG_CACHE_HOME=$T/nobody/cache CLOUDFLARE_ACCOUNT_ID=$ACCOUNT \
		setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
		"$T/nobody/mailward" import --timeout 30 >"$OUT" 2>"$ERR" &
	pid=$!
	# setpriv execs mailward in the same process: wait for the exec, then
	# for main() to have run well past its first lines (the dynamic loader
	# runs dumpable; the answer comes only after 4 s).
	for _ in $(seq 1 100); do
		exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
		[ "$exe" = "$T/nobody/mailward" ] && break
		sleep 0.02
	done
	sleep 1
	if kill -0 "$pid" 2>/dev/null; then
		owner=$(stat -c %u "/proc/$pid/environ" 2>/dev/null || echo gone)
		# Another process of the same user tries to read the token.
		if setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
			cat "/proc/$pid/environ" 2>/dev/null | tr '\0' '\n' |
			grep -q "^CLOUDFLARE_API_TOKEN=$TOKEN\$"; then
			owner="$owner,token-readable"
		fi
	fi
	wait "$pid" || fail "mailward import as user $NOBODY failed"
	echo "$owner"
}

owner=$(environ_owner_while_waiting)
assert_eq "$owner" 0 "owner of /proc/PID/environ of mailward running as $NOBODY (0: non-dumpable)"
assert_contains "$OUT" "d1.example.com:"
echo ok
