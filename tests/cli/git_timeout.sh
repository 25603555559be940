#!/usr/bin/env bash
# --timeout bounds the git clone and fetch (issue 7). A git server that sends
# the headers of its answer and then nothing must not hold `plan` or `drift`
# past --timeout, for a first clone or a fetch into the cache; and the cache
# a killed fetch leaves must not break the next run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/git_lib.sh"

bare_repo r
gen_state 1 >"$T/state.json"
sandbox_start "$T/state.json"
# While $T/silent exists the server answers with headers, then silence.
stub_start git 127.0.0.1 --git-root "$T/root" --silent-file "$T/silent"
REPO=$STUB_URL/r.git

no_leftovers() {
	local left
	left=$(find "$1" -mindepth 2 -maxdepth 2 2>/dev/null | grep -c . || true)
	[ "$left" = 0 ] || fail "$2: the cache holds $(find "$1" -mindepth 2 -maxdepth 2)"
}

# A first clone from a silent server.
touch "$T/silent"
start=$(now)
expect_exit 1 plan --repo "$REPO" --cache-dir "$T/c1" --timeout 2 --account-id "$ACCOUNT"
assert_faster "$start" 6 "plan --timeout 2, first clone from a silent server"
assert_contains "$ERR" "cannot clone"
assert_contains "$ERR" "--timeout"
no_leftovers "$T/c1" "after a killed first clone"
start=$(now)
expect_exit 1 drift --repo "$REPO" --cache-dir "$T/c1" --timeout 2 --account-id "$ACCOUNT"
assert_faster "$start" 6 "drift --timeout 2, first clone from a silent server"
# The server speaks again: the same cache clones cleanly.
rm "$T/silent"
expect_exit 0 plan --repo "$REPO" --cache-dir "$T/c1" --timeout 10 --account-id "$ACCOUNT"

# A fetch into that cache from the silent server.
touch "$T/silent"
start=$(now)
expect_exit 1 plan --repo "$REPO" --cache-dir "$T/c1" --timeout 2 --account-id "$ACCOUNT"
assert_faster "$start" 6 "plan --timeout 2, fetch from a silent server"
assert_contains "$ERR" "cannot fetch"
assert_contains "$ERR" "--timeout"
start=$(now)
expect_exit 1 drift --repo "$REPO" --cache-dir "$T/c1" --timeout 2 --account-id "$ACCOUNT"
assert_faster "$start" 6 "drift --timeout 2, fetch from a silent server"
# What the killed fetch left does not break the next run.
rm "$T/silent"
expect_exit 0 plan --repo "$REPO" --cache-dir "$T/c1" --timeout 10 --account-id "$ACCOUNT" \
	--format json
assert_eq "$(jget "$OUT" .source.repo)" "$REPO" "source.repo"
# A second run fetches into the cache it made.
echo '  d2.example.com: {lookback_hops: 2}' >>"$T/work-r/domains.yaml"
commit "$T/work-r" "one more domain"
git -C "$T/work-r" push -q "$T/root/r.git" main
expect_exit 2 plan --repo "$REPO" --cache-dir "$T/c1" --timeout 10 --account-id "$ACCOUNT"
