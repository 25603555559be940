#!/usr/bin/env bash
# Every wait and every listing is bounded (issue 7): a page that fails for
# good ends the listing at once; a listing without a total stops at
# API_MAX_PAGES (1000) pages or 256 MiB of answers; a gzip bomb is refused
# at 32 MiB decoded, with bounded memory; a Retry-After longer than what is
# left of the request's budget (--timeout x (--retries + 1)) fails at once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/git_lib.sh"

demo=$T/desired
mkdir -p "$demo"
printf 'account_id: %s\ndomains:\n  d1.example.com: {lookback_hops: 2}\n' "$ACCOUNT" >"$demo/a.yaml"
make_repo "$demo"
cd "$demo"
gen_state 1000 >"$T/state.json"

# mailward under /usr/bin/time: its peak resident memory in MiB in $RSS_MB.
# The bounds below leave room for a sanitizer build (ASan's quarantine holds
# freed memory): the gzip bomb takes 45 MiB in a plain build, 106 MiB under
# ASan, and above 200 MiB whenever the 200 MB it decodes to are kept.
mw_rss() {
	set +e
	/usr/bin/time -f %M -o "$T/rss" "$MAILWARD" "$@" >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	RSS_MB=$(($(tail -n1 "$T/rss") / 1024))
}

# --- page 2 of 400 fails for good: the listing ends there -----------------
# Page 1 announces 400,000 domains (400 pages); page 2 always fails; every
# other page takes 100 ms, so that a client that went on would fetch many.
sandbox_start "$T/state.json" \
	--fault op=list,page=1,action=lie-total,total=400000 \
	--fault op=list,page=2,action=status,status=500,count=0 \
	--fault op=list,action=delay,delay-ms=100,count=0
expect_exit 1 plan --account-id "$ACCOUNT" --retries 1
assert_contains "$ERR" "page 2"
lists=$(stats .requests.list)
[ "$lists" -le 20 ] || fail "the listing went on after page 2 failed: $lists list requests"
echo "page 2 failing for good: $lists list requests of 400 pages"

# --- Retry-After far past the budget fails at once ------------------------
sandbox_restart "$T/state.json" --fault op=list,action=429,retry-after=999999,count=0
start=$(now)
expect_exit 1 plan --account-id "$ACCOUNT" --timeout 2
assert_faster "$start" 3 "a Retry-After of 999999 s with --timeout 2"
assert_contains "$ERR" "Retry-After"
assert_contains "$ERR" "999999"
assert_eq "$(stats .requests.list)" 1 "requests after a Retry-After past the budget"
# One within the budget is still waited out.
sandbox_restart "$T/state.json" --fault op=list,action=429,retry-after=1,count=1

expect_exit 0 plan --account-id "$ACCOUNT" --timeout 2
assert_eq "$(stats .requests.list)" 2 "requests after a Retry-After within the budget"

# --- a listing without a total: bounded by pages ... ----------------------
sandbox_restart "$T/state.json" --fault op=list,action=endless,items=1,count=0
expect_exit 1 plan --account-id "$ACCOUNT" --concurrency 1
assert_contains "$ERR" "past 1000 pages"
assert_eq "$(stats .requests.list)" 1000 "list requests of a listing without end"

# --- ... and by bytes (20 MB pages: 256 MiB is about 13 of them) ----------
sandbox_restart "$T/state.json" --fault op=list,action=endless,pad=20000,count=0
mw_rss plan --account-id "$ACCOUNT"
[ "$RC" = 1 ] || fail "an endless listing of 20 MB pages: exit $RC"
assert_contains "$ERR" "256 MiB"
lists=$(stats .requests.list)
[ "$lists" -le 16 ] || fail "the listing went on past 256 MiB: $lists pages of 20 MB"
echo "endless 20 MB pages: refused after $lists pages, peak RSS $RSS_MB MiB"
under_valgrind || [ "$RSS_MB" -le 800 ] || fail "peak RSS $RSS_MB MiB on 20 MB pages"
sandbox_stop

# --- a gzip bomb: 200 MB of zeros in a few hundred KB ---------------------
head -c 200000000 /dev/zero | gzip -1 >"$T/bomb.gz"
stub_start bomb 127.0.0.1 --gzip-file "$T/bomb.gz"
mw_rss plan --account-id "$ACCOUNT" --api-url "$STUB_URL/client/v4" --retries 1
echo "gzip bomb of $(stat -c %s "$T/bomb.gz") bytes (200 MB decoded): peak RSS $RSS_MB MiB"
under_valgrind || [ "$RSS_MB" -le 150 ] || fail "peak RSS $RSS_MB MiB on a gzip bomb"
[ "$RC" = 1 ] || fail "a gzip bomb: exit $RC"
assert_contains "$ERR" "larger than 32 MiB"
