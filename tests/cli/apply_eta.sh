#!/usr/bin/env bash
# apply_eta: an apply on a terminal shows its progress with the rate and the
# time left ("ETA 2s") on one redrawn line; on a pipe or with --quiet, no
# progress line at all.
. "$(dirname "$0")/lib.sh"

gen_state 10 >"$T/state.json"
mkdir -p "$T/repo"
gen_desired 10 10 >"$T/repo/d.yaml"
make_repo "$T/repo"

# `script` gives mailward a pseudo-terminal; what it printed is in $1.
apply_on_tty() {
	local out=$1
	shift
	timeout 60 script -qec "$(printf '%q ' "$MAILWARD" apply --repo "$T/repo" --auto-approve \
		--force "$@")" /dev/null </dev/null >"$out" 2>&1 || true
}

sandbox_start "$T/state.json"
# 10 updates at 4 per second: 2 to 3 seconds, a few redraws.
apply_on_tty "$T/tty.out" --rate 4 --concurrency 1
assert_contains "$T/tty.out" "Apply: 10 updated"
grep -aqE 'applied [0-9]/10, 0 failed, [0-9]+\.[0-9]/s, ETA [0-9]+s' "$T/tty.out" ||
	fail "no ETA beside the rate on a terminal: $(tr '\r' '\n' <"$T/tty.out" | grep -a applied)"
# The last redraw has nothing left: no ETA once all are done.
if grep -aqE 'applied 10/10, [^\r]*ETA' "$T/tty.out"; then
	fail "an ETA with nothing left"
fi

# A pipe gets no progress line; --quiet neither, even on a terminal.
sandbox_restart "$T/state.json"
expect_exit 0 apply --repo "$T/repo" --auto-approve --force --rate 0
assert_not_contains "$ERR" "ETA"
assert_not_contains "$ERR" "applied 1/"
sandbox_restart "$T/state.json"
apply_on_tty "$T/tty-quiet.out" --rate 0 --quiet
assert_contains "$T/tty-quiet.out" "Apply: 10 updated"
assert_not_contains "$T/tty-quiet.out" "ETA"
