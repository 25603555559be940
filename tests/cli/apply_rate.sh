#!/usr/bin/env bash
# Concurrency and the client-side rate limit, measured by the sandbox's own
# counters (never by wall time): --concurrency 8 --rate 0 keeps several
# requests in flight and never more than 8; the default --rate 4 of apply
# never lets the sandbox see more than 4 requests in any second; --rate
# bounds the read-only commands too when given.
. "$(dirname "$0")/lib.sh"

# desired_changed N: a repository where d1..dN all get lookback_hops 3.
desired_changed() {
	rm -rf "$T/repo"
	mkdir -p "$T/repo"
	gen_desired "$1" "$1" >"$T/repo/d.yaml"
	make_repo "$T/repo"
}

# --- 200 updates, 20 ms each, 8 at a time, no rate limit -----------------------
gen_state 200 >"$T/state-200.json"
sandbox_start "$T/state-200.json" --latency-ms 20
desired_changed 200
expect_exit 2 plan --repo "$T/repo" --out "$T/plan.json" --force
reset_stats
expect_exit 0 apply "$T/plan.json" --repo "$T/repo" --concurrency 8 --rate 0 --force
assert_contains "$OUT" "Apply: 200 updated, 0 deleted, 0 already gone, 0 failed, 0 not sent"
assert_eq "$(stats .requests.patch)" 200 "PATCH requests"
assert_eq "$(stats .requests.list)" 1 "list requests to re-read 200 domains"
max=$(stats .max_concurrent)
[ "$max" -ge 4 ] || fail "at most $max requests in flight with --concurrency 8"
[ "$max" -le 8 ] || fail "$max requests in flight with --concurrency 8"
expect_exit 0 plan --repo "$T/repo"

# One at a time.
sandbox_restart "$T/state-200.json"
desired_changed 5
reset_stats
expect_exit 0 apply --repo "$T/repo" --auto-approve --force --concurrency 1 --rate 0
assert_eq "$(stats .requests.patch)" 5 "PATCH requests"
assert_eq "$(stats .max_concurrent)" 1 "requests in flight with --concurrency 1"

# --- the default rate of apply: 4 per second ------------------------------------
gen_state 12 >"$T/state-12.json"
sandbox_restart "$T/state-12.json"
desired_changed 12
expect_exit 0 apply --repo "$T/repo" --auto-approve --force
assert_contains "$OUT" "Apply: 12 updated"
assert_eq "$(stats .requests.patch)" 12 "PATCH requests"
# (Under valgrind mailward is too slow for its request timing to mean much.)
if ! under_valgrind; then
	max1s=$(stats .max_in_any_1s)
	[ "$max1s" -le 4 ] || fail "the sandbox saw $max1s requests in one second (default --rate 4)"
	avg=$(stats .avg_rate)
	awk -v a="$avg" 'BEGIN { exit !(a <= 4) }' || fail "average rate $avg > 4 per second"
fi

# --- --rate bounds plan too when given; without it, concurrency alone --------
gen_state 2500 >"$T/state-2500.json"
sandbox_restart "$T/state-2500.json"
desired_changed 1
expect_exit 2 plan --repo "$T/repo" --rate 1 --force
assert_eq "$(stats .requests.list)" 3 "list requests"
under_valgrind || assert_eq "$(stats .max_in_any_1s)" 1 "list requests in any second with --rate 1"
# Without --rate: pages 2 and 3 are fetched together once page 1 gave the total.
sandbox_restart "$T/state-2500.json" --latency-ms 100
expect_exit 2 plan --repo "$T/repo" --force
assert_eq "$(stats .requests.list)" 3 "list requests"
assert_eq "$(stats .max_concurrent)" 2 "pages in flight together without --rate"

assert_all_valid

# Last, because these fail today.
# 1. "--rate R: requests per second at most" must hold after a pause too. A
# slow first list answer (1.5 s) lets the bucket fill up to R tokens while
# waiting; the re-read and 3 PATCHes then go at once and the next ones
# follow at R per second: up to 2R-1 requests in one second.
sandbox_restart "$T/state-12.json" --fault op=list,action=delay,delay-ms=1500,count=1
desired_changed 12
expect_exit 0 apply --repo "$T/repo" --auto-approve --force
max1s=$(stats .max_in_any_1s)
under_valgrind || [ "$max1s" -le 4 ] ||
	fail "the sandbox saw $max1s requests in one second after a slow answer (--rate 4)"
# 2. A request that ends frees its slot at once: with --concurrency 1 and no
# rate limit, each PATCH must not wait for the 200 ms poll timeout first.
sandbox_restart "$T/state-200.json"
desired_changed 20
expect_exit 0 apply --repo "$T/repo" --auto-approve --force --concurrency 1 --rate 0
avg=$(stats .avg_rate)
under_valgrind || awk -v a="$avg" 'BEGIN { exit !(a > 10) }' ||
	fail "only $avg requests per second one at a time with --rate 0 (idle between requests)"
echo ok
