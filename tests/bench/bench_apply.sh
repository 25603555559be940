#!/usr/bin/env bash
# Benchmark: apply 1,000 updates against the sandbox with 20 ms of latency
# per request, --concurrency 8 --rate 0: target under 3.5 s wall (the floor
# is 1,000 x 20 ms / 8 = 2.5 s). Then the default --rate 4 over 60 updates:
# the sandbox must see no more than 4 requests in any second, and an average
# under 4 per second.
. "$(dirname "$0")/../cli/lib.sh"
: "${RUSAGE:?}"

N=${BENCH_UPDATES:-1000}
RATED=${BENCH_RATED_UPDATES:-60}

gen_state "$N" >"$T/state.json"
mkdir -p "$T/repo"
gen_desired "$N" "$N" >"$T/repo/domains.yaml"
make_repo "$T/repo"
cd "$T/repo"
sandbox_start "$T/state.json" --latency-ms 20

expect_exit 2 plan -q --force --out "$T/plan.json"
reset_stats
set +e
"$RUSAGE" "$T/ru.json" "$MAILWARD" apply "$T/plan.json" -q --force --concurrency 8 --rate 0 >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" = 0 ] || { tail "$T/out" "$T/err"; fail "apply exited $rc"; }
wall=$(jget "$T/ru.json" .wall_s)
echo "apply, $N updates, 20 ms latency, --concurrency 8 --rate 0: wall $wall s," \
	"peak RSS $(($(jget "$T/ru.json" .max_rss_kb) / 1024)) MB," \
	"requests $(stats .requests.total) (patch $(stats .requests.patch), list $(stats .requests.list))," \
	"most in flight $(stats .max_concurrent)"
awk -v w="$wall" 'BEGIN { exit !(w < 3.5) }' || fail "wall time $wall s is not under 3.5 s"

# The default rate, on a fresh account of RATED domains.
sandbox_stop
gen_state "$RATED" >"$T/state2.json"
gen_desired "$RATED" "$RATED" >domains.yaml
commit . "rated"
sandbox_start "$T/state2.json" --latency-ms 20
expect_exit 2 plan -q --force --out "$T/plan2.json"
reset_stats
"$RUSAGE" "$T/ru2.json" "$MAILWARD" apply "$T/plan2.json" -q --force >"$T/out" 2>"$T/err" || fail "rated apply"
max1s=$(stats .max_in_any_1s)
avg=$(stats .avg_rate)
echo "apply, $RATED updates, default --rate 4: wall $(jget "$T/ru2.json" .wall_s) s," \
	"requests $(stats .requests.total), most in any second $max1s, average $avg/s"
[ "$max1s" -le 4 ] || fail "$max1s requests in one second: over 4"
awk -v a="$avg" 'BEGIN { exit !(a < 4) }' || fail "average rate $avg is not under 4/s"
assert_all_valid
echo ok
