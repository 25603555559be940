# tests/cli/pipelines_lib.sh: what the pipeline examples' tests
# (pipelines_*.sh) source after lib.sh. Not a test itself.
#
# The examples' scripts (examples/pipelines/bin/) run as a CI job, cron or
# a container would run them: with `mailward` on PATH. Under `meson test
# --setup valgrind` that `mailward` runs the real one under memcheck, and
# any error it finds fails the test.
#
#   run_script NAME ARGS...     run bin/NAME (output to $OUT and $ERR, status in $RC)
#   expect_script N NAME ARGS...   the same, and fail unless it exits N
#   sink_start [FLAG...]        start webhook-sink: $SINK_URL, bodies in $SINK_OUT,
#                               requests and headers in $SINK_LOG
#   sink_stop
#   origin_repo                 a bare "origin" in $ORIGIN with main holding
#                               examples/desired as desired/, cloned to $WORK
#   step_run WORKFLOW STEP      the `run:` of a GitHub Actions step, by its name
#   run_step WORKFLOW STEP [SHELL OPTIONS]   run it as the runner would
#   gh_standin                  a stand-in `gh` on PATH (fixtures in $GH_FIXTURES)
#   skip MESSAGE                skip the test (exit 77)

: "${YAML_CHECK:?YAML_CHECK must name the yaml-check helper}"
: "${WEBHOOK_SINK:?WEBHOOK_SINK must name the webhook-sink helper}"

PIPE=$EXAMPLES/pipelines
BIN=$PIPE/bin

# `mailward` for the scripts, first on PATH (scripts run in other folders).
MAILWARD=$(cd "$(dirname "$MAILWARD")" && pwd)/$(basename "$MAILWARD")
mkdir -p "$T/path"
if [ "${MAILWARD_VALGRIND:-}" = 1 ]; then
	cat >"$T/path/mailward" <<EOF
#!/bin/sh
valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
	--show-leak-kinds=definite --suppressions="$TESTS_DIR/valgrind.supp" "$MAILWARD" "\$@"
rc=\$?
if [ "\$rc" = 99 ]; then echo "mailward \$*" >>"$T/valgrind.failed"; fi
exit "\$rc"
EOF
else
	printf '#!/bin/sh\nexec "%s" "$@"\n' "$MAILWARD" >"$T/path/mailward"
fi
chmod +x "$T/path/mailward"
export PATH="$T/path:$PATH"
# What a test that runs a command in a clean environment (env -i: cron,
# systemd, a container) passes on all the same.
KEEP_ENV=(LSAN_OPTIONS="$LSAN_OPTIONS")
[ -z "${ASAN_OPTIONS:-}" ] || KEEP_ENV+=(ASAN_OPTIONS="$ASAN_OPTIONS")
[ -z "${UBSAN_OPTIONS:-}" ] || KEEP_ENV+=(UBSAN_OPTIONS="$UBSAN_OPTIONS")

check_valgrind() {
	if [ -s "$T/valgrind.failed" ]; then
		fail "valgrind found errors in: $(cat "$T/valgrind.failed")"
	fi
}

# traced CMD...: CMD, under strace when TRACE_EXECS is set (a file prefix):
# every program CMD starts, with its arguments, goes to a new TRACE_EXECS.*.
traced() {
	if [ -n "${TRACE_EXECS:-}" ]; then
		# LeakSanitizer cannot run under ptrace: leaks are left to the other tests.
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
			strace -f -qq -s 65536 -e trace=execve -e signal=none \
			-o "$(mktemp "$TRACE_EXECS.XXXXXX")" "$@"
	else
		"$@"
	fi
}

run_script() {
	local name=$1
	shift
	set +e
	traced env -u MAILWARD "$BIN/$name" "$@" >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	check_valgrind
}

expect_script() {
	local want=$1 name=$2
	shift 2
	run_script "$name" "$@"
	[ "$RC" = "$want" ] || fail "$name $* exited $RC, expected $want"
}




# step_run WORKFLOW STEP: the `run:` of the step named STEP (one line, or
# a `|` block).
step_run() {
	awk -v step="$2" '
		block {
			if ($0 !~ /^ *$/ && match($0, /^ */) && RLENGTH <= ind) exit
			if (!cut) { match($0, /^ */); cut = RLENGTH }
			print substr($0, cut + 1)
			next
		}
		$0 ~ "^ *- name: " step "$" { on = 1; next }
		on && /^ *- (name|uses):/ { exit }
		on && /^ *run: / {
			match($0, /^ */); ind = RLENGTH
			sub(/^ *run: /, "")
			if ($0 == "|") { block = 1; next }
			print; exit
		}
	' "$1"
}
# run_step WORKFLOW STEP [SHELL OPTIONS]: run it here, as the runner would
# (bash -e; `shell: bash` adds -o pipefail), with RC, OUT and ERR.
run_step() {
	local cmd
	cmd=$(step_run "$1" "$2")
	[ -n "$cmd" ] || fail "$1 has no run: in step '$2'"
	set +e
	traced env -u MAILWARD bash --noprofile --norc -e ${3:-} -c "$cmd" >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	check_valgrind
}

# gh_standin: a stand-in for the GitHub CLI, first on PATH.
# Answers `gh api` GETs from $GH_FIXTURES/api/<endpoint>.json through --jq
# (evaluated with jq, as gh does with gojq), records every call in
# $T/gh.log and every comment body sent, and serves `gh run download`
# from $GH_FIXTURES/runs/<id>/<artifact>/.
gh_standin() {
	GH_FIXTURES=$T/gh
	mkdir -p "$GH_FIXTURES/api" "$GH_FIXTURES/runs" "$T/gh-bodies"
	cat >"$T/path/gh" <<'EOF'
#!/usr/bin/env bash
set -euo pipefail
echo "gh $*" >>"$GH_LOG"
jq_expr= method=GET body= endpoint= name= dir= run=
cmd=$1
shift
if [ "$cmd" = run ]; then
	sub=$1
	shift
fi
while [ $# -gt 0 ]; do
	case $1 in
	--jq) jq_expr=$2; shift ;;
	--method | -X) method=$2; shift ;;
	-F) body=${2#body=@}; shift ;;
	--name) name=$2; shift ;;
	--dir) dir=$2; shift ;;
	--repo | --workflow | --commit | --event | --status | --limit | --json) shift ;;
	--paginate) ;;
	-*) echo "gh stand-in: unexpected option $1" >&2; exit 2 ;;
	*) if [ "$cmd" = api ]; then endpoint=$1; else run=$1; fi ;;
	esac
	shift
done
answer() {
	if [ -n "$jq_expr" ]; then jq -r "$jq_expr" "$1"; else cat "$1"; fi
}
if [ "$cmd" = api ] && [ "$method" = GET ]; then
	f="$GH_FIXTURES/api/$endpoint.json"
	[ -f "$f" ] || { echo "gh: HTTP 404: Not Found ($endpoint)" >&2; exit 1; }
	answer "$f"
elif [ "$cmd" = api ]; then
	n=$(find "$GH_BODIES" -name "*.req" | wc -l)
	echo "$method $endpoint" >"$GH_BODIES/$n.req"
	cp "$body" "$GH_BODIES/$n.md"
	echo '{}'
elif [ "$cmd" = run ] && [ "$sub" = list ]; then
	answer "$GH_FIXTURES/run-list.json"
elif [ "$cmd" = run ] && [ "$sub" = download ]; then
	src="$GH_FIXTURES/runs/$run/$name"
	[ -d "$src" ] || { echo "no artifact $name in run $run" >&2; exit 1; }
	mkdir -p "$dir"
	cp "$src"/* "$dir/"
else
	echo "gh stand-in: unexpected call: gh $cmd" >&2
	exit 2
fi
EOF
	chmod +x "$T/path/gh"
	export GH_FIXTURES GH_LOG=$T/gh.log GH_BODIES=$T/gh-bodies
}

skip() {
	echo "SKIP: $*"
	exit 77
}

# origin_repo: $ORIGIN (bare, as on the git host) whose main holds the demo
# desired state under desired/ and the scripts under ci/mailward/, and $WORK,
# a full clone of it (as CI checks out with fetch-depth: 0).
origin_repo() {
	ORIGIN=$T/origin.git
	WORK=$T/work
	mkdir -p "$T/seed/desired" "$T/seed/ci"
	cp -R "$EXAMPLES/desired/." "$T/seed/desired/"
	cp -R "$BIN" "$T/seed/ci/mailward"
	make_repo "$T/seed"
	git clone -q --bare "$T/seed" "$ORIGIN"
	git clone -q "$ORIGIN" "$WORK"
}

# applied_origin: the sandbox serves the demo account and $ORIGIN's main,
# with the domain that is not onboarded left out, is applied: live equals main.
applied_origin() {
	sandbox_start "$EXAMPLES/live-state.json"
	origin_repo
	sed -i '/shop.example.com/,+2d' "$WORK/desired/domains/example-com.yaml"
	commit "$WORK" "shop.example.com is not onboarded yet"
	git -C "$WORK" push -q origin main
	expect_exit 0 apply --auto-approve --repo "$WORK" --path desired
}

# review_branch DIR: after applied_origin (so that the branch's plan is its
# own), branch more-hops changes one setting and is pushed; DIR is a
# checkout of its head ($HEAD_SHA), as a CI job's checkout would be, and the
# current folder.
review_branch() {
	applied_origin
	git -C "$WORK" checkout -q -b more-hops
	sed -i 's/lookback_hops: 4/lookback_hops: 5/' "$WORK/desired/domains/example-net.yaml"
	commit "$WORK" "example.net: 5 hops"
	git -C "$WORK" push -q origin more-hops
	HEAD_SHA=$(git -C "$WORK" rev-parse HEAD)
	git clone -q "$ORIGIN" "$1"
	git -C "$1" -c advice.detachedHead=false checkout -q "$HEAD_SHA"
	cd "$1"
}

# merge_pr BRANCH: merge BRANCH of $ORIGIN into its main with a merge commit,
# as the git host's "Create a merge commit" does.
merge_pr() {
	rm -rf "$T/merger"
	git clone -q "$ORIGIN" "$T/merger"
	git -C "$T/merger" merge -q --no-ff -m "Merge branch '$1'" "origin/$1"
	git -C "$T/merger" push -q origin main
}
