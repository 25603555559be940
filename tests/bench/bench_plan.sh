#!/usr/bin/env bash
# Benchmark: plan for 10,000 live domains with 100 changes against the
# sandbox with 20 ms of latency per request. Targets: under 0.5 s wall, at
# most 10 list requests, peak RSS under 64 MB. Five runs; the median and the
# worst are reported, and the benchmark fails when the worst misses a target.
. "$(dirname "$0")/../cli/lib.sh"
: "${RUSAGE:?}"

N=${BENCH_DOMAINS:-10000}
CHANGES=${BENCH_CHANGES:-100}
RUNS=${BENCH_RUNS:-5}

gen_state "$N" >"$T/state.json"
mkdir -p "$T/repo"
gen_desired "$N" "$CHANGES" >"$T/repo/domains.yaml"
make_repo "$T/repo"
cd "$T/repo"
sandbox_start "$T/state.json" --latency-ms 20

walls=()
for ((r = 1; r <= RUNS; r++)); do
	reset_stats
	set +e
	"$RUSAGE" "$T/ru.json" "$MAILWARD" plan -q --out "$T/plan.json" >/dev/null 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" = 2 ] || { cat "$T/err"; fail "plan exited $rc"; }
	[ "$(jget "$T/plan.json" .summary.update)" = "$CHANGES" ] || fail "wrong plan"
	walls+=("$(jget "$T/ru.json" .wall_s)")
	rss=$(jget "$T/ru.json" .max_rss_kb)
	lists=$(stats .requests.list)
	total=$(stats .requests.total)
	echo "run $r: wall $(jget "$T/ru.json" .wall_s) s, peak RSS $((rss / 1024)) MB, list requests $lists, all requests $total"
	[ "$lists" -le 10 ] || fail "more than 10 list requests"
	[ "$total" = "$lists" ] || fail "requests other than list"
	[ "$rss" -lt $((64 * 1024)) ] || fail "peak RSS $rss kB is not under 64 MB"
done
sorted=$(printf '%s\n' "${walls[@]}" | sort -n)
median=$(echo "$sorted" | sed -n "$(((RUNS + 1) / 2))p")
worst=$(echo "$sorted" | tail -n 1)
echo "plan, $N live domains, $CHANGES changes, 20 ms latency: median $median s, worst $worst s (target < 0.5 s)"
awk -v w="$worst" 'BEGIN { exit !(w < 0.5) }' || fail "worst wall time $worst s is not under 0.5 s"
assert_all_valid
echo ok
