#!/usr/bin/env bash
# Benchmark: the CPU time and memory of `plan` as the account grows.
# Targets (issue 9), each checked on the medians of BENCH_RUNS runs:
#   - plan of 10,000 domains (100 changes) uses at most 1.5x the CPU time
#     that libyaml and jansson alone need to parse its inputs: parse-baseline
#     (tests/bench/parse_baseline.c) loads the same desired-state file with
#     yaml_parser_load and the same list pages (fetched from the sandbox
#     once, as mailward asks for them) with json_loadb. Baseline and plan
#     runs alternate, so both see the same load on a shared machine.
#   - plan of 100,000 domains stays under 150 MB peak RSS (every run) and
#     within 11x the CPU time of 10,000.
# CPU time is user + system of the mailward process (rusage), not wall time.
# No latency is injected: the sandbox answers as fast as it can.
. "$(dirname "$0")/../cli/lib.sh"
: "${RUSAGE:?}" "${PARSE_BASELINE:?}"

SMALL=${BENCH_SMALL:-10000}
LARGE=${BENCH_LARGE:-100000}
CHANGES=${BENCH_CHANGES:-100}
RUNS=${BENCH_RUNS:-5}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# measure N: runs of plan and parse-baseline for N domains; sets PLAN_CPU,
# BASE_CPU (medians, s) and PEAK_RSS (the worst run, kB).
measure() {
	local n=$1 dir=$T/n$1 p pages=() plan_cpus=() base_cpus=() rss r rc
	mkdir -p "$dir/repo"
	gen_state "$n" >"$dir/state.json"
	gen_desired "$n" "$CHANGES" >"$dir/repo/domains.yaml"
	make_repo "$dir/repo"
	sandbox_start "$dir/state.json"
	for ((p = 1; p <= (n + 999) / 1000; p++)); do
		api GET "/accounts/$ACCOUNT/email-security/settings/domains?page=$p&per_page=1000&order=domain&direction=asc" \
			-o "$dir/page$p.json"
		pages+=("$dir/page$p.json")
	done
	PEAK_RSS=0
	for ((r = 1; r <= RUNS; r++)); do
		"$PARSE_BASELINE" "$dir/base.json" "$dir/repo/domains.yaml" "${pages[@]}" ||
			fail "parse-baseline failed"
		base_cpus+=("$(jget "$dir/base.json" .cpu_s)")
		set +e
		(cd "$dir/repo" && "$RUSAGE" "$dir/ru.json" "$MAILWARD" plan -q --out "$dir/plan.json" \
			>/dev/null 2>"$dir/err")
		rc=$?
		set -e
		[ "$rc" = 2 ] || { cat "$dir/err"; fail "plan of $n domains exited $rc"; }
		[ "$(jget "$dir/plan.json" .summary.update)" = "$CHANGES" ] || fail "wrong plan"
		[ "$(jget "$dir/plan.json" .live_count)" = "$n" ] || fail "wrong live count"
		plan_cpus+=("$(jget "$dir/ru.json" .cpu_s)")
		rss=$(jget "$dir/ru.json" .max_rss_kb)
		[ "$rss" -gt "$PEAK_RSS" ] && PEAK_RSS=$rss
		echo "$n domains, run $r: plan CPU ${plan_cpus[-1]} s (user $(jget "$dir/ru.json" .user_s), sys $(jget "$dir/ru.json" .sys_s)), peak RSS $((rss / 1024)) MB; parse-baseline CPU ${base_cpus[-1]} s"
	done
	assert_all_valid
	sandbox_stop
	PLAN_CPU=$(printf '%s\n' "${plan_cpus[@]}" | median)
	BASE_CPU=$(printf '%s\n' "${base_cpus[@]}" | median)
	rm -rf "$dir"
}

measure "$SMALL"
small_cpu=$PLAN_CPU small_base=$BASE_CPU small_rss=$PEAK_RSS
ratio=$(awk -v p="$small_cpu" -v b="$small_base" 'BEGIN { printf "%.2f", p / b }')
echo "plan, $SMALL domains: median CPU $small_cpu s; parse-baseline median $small_base s; ratio ${ratio}x (target <= 1.5x); peak RSS $((small_rss / 1024)) MB"

measure "$LARGE"
large_cpu=$PLAN_CPU large_rss=$PEAK_RSS
growth=$(awk -v l="$large_cpu" -v s="$small_cpu" 'BEGIN { printf "%.2f", l / s }')
echo "plan, $LARGE domains: median CPU $large_cpu s (${growth}x of $SMALL, target <= 11x); parse-baseline median $BASE_CPU s; peak RSS $((large_rss / 1024)) MB (target < 150 MB)"

awk -v r="$ratio" 'BEGIN { exit !(r <= 1.5) }' ||
	fail "plan of $SMALL domains uses ${ratio}x the CPU of parsing its inputs (target <= 1.5x)"
[ "$large_rss" -lt $((150 * 1024)) ] ||
	fail "plan of $LARGE domains peaks at $large_rss kB, not under 150 MB"
awk -v g="$growth" 'BEGIN { exit !(g <= 11) }' ||
	fail "plan of $LARGE domains uses ${growth}x the CPU of $SMALL (target <= 11x)"
echo ok
