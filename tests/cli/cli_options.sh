#!/usr/bin/env bash
# cli_options: option parsing a person can trust. Every usage error is one
# line "mailward CMD: message (see 'mailward CMD --help')" and exit 1;
# --flag=value on a switch says so; terraform's single-dash spellings point
# to the -- form; "did you mean" for commands, help topics and --ref;
# --color beside NO_COLOR; version --format json; per-command --help.
. "$(dirname "$0")/lib.sh"

# One line, the command's name, the pointer to its --help, exit 1, nothing on stdout.
usage_error() {
	local cmd=$1 text=$2
	shift 2
	expect_exit 1 "$@"
	[ ! -s "$OUT" ] || fail "a usage error printed on stdout"
	assert_eq "$(wc -l <"$ERR")" 1 "lines of the usage error of: $*"
	assert_contains "$ERR" "mailward $cmd: $text"
	assert_contains "$ERR" "(see 'mailward $cmd --help')"
}

# --flag=value on a flag that takes none: the flag's name, never its id.
usage_error plan "option '--prune' takes no value" plan --prune=yes
usage_error plan "option '--worktree' takes no value" plan --worktree=1
usage_error apply "option '--auto-approve' takes no value" apply --auto-approve=true
# Nothing but printable text: the internal option id is not a character.
LC_ALL=C grep -q '[^[:print:]]' "$ERR" && fail "a usage error holds a control character"

# terraform's spellings.
usage_error plan "unknown option '-out' (did you mean '--out'?)" plan -out x
usage_error apply "unknown option '-auto-approve' (did you mean '--auto-approve'?)" \
	apply -auto-approve
usage_error show "unknown option '-json' (did you mean '--format json'?)" show -json
usage_error plan "unknown option '-refx' (did you mean '--ref'?)" plan -refx=SECRET-VALUE
assert_not_contains "$ERR" SECRET-VALUE
# Anything else after one dash may be a short option with its value: only the letter.
usage_error plan "unknown option '-p'" plan -pSECRETVALUE
assert_not_contains "$ERR" SECRETVALUE
# Short switches still cluster.
expect_exit 1 validate -qv
assert_contains "$ERR" "unknown option '-v'"
mkdir -p "$T/empty"
expect_exit 0 validate -q --worktree --repo "$T/empty"

# Misspelt and misplaced options, values that are not printed.
usage_error plan "unknown option '--prnue' (did you mean '--prune'?)" plan --prnue
usage_error plan "unknown option '--token'" plan --token=SECRET-VALUE
assert_not_contains "$ERR" SECRET-VALUE
usage_error validate "option '--prune' does not apply to validate" validate --prune
usage_error plan "option '--out' needs a value" plan --out
usage_error plan "unexpected argument 'extra'" plan extra
usage_error show "missing the plan file to show" show
usage_error apply "takes at most one plan file" apply a.json b.json
usage_error revert "needs --audit-log FILE and --run RUN_ID" revert
usage_error audit "missing the sub-command: verify or log" audit
usage_error import "--format takes yaml or state, not 'xml'" import --format xml
usage_error plan "--out takes a file name" plan --out -

# Commands: "did you mean" at the top and in help.
expect_exit 1 plna
assert_eq "$(cat "$ERR")" "mailward: unknown command 'plna' (did you mean 'plan'?) (see 'mailward --help')" \
	"unknown command"
usage_error help "no command 'plna' (did you mean 'plan'?)" help plna
usage_error help "no command 'frobnicate'" help frobnicate
assert_not_contains "$ERR" "did you mean"
expect_exit 0 help plan
assert_contains "$OUT" "usage: mailward plan"

# --ref: close branch and tag names.
mkdir -p "$T/r"
printf 'domains:\n  a.example.com: {}\n' >"$T/r/a.yaml"
make_repo "$T/r"
git -C "$T/r" tag release-2026
expect_exit 1 validate --repo "$T/r" --ref mian
assert_contains "$ERR" "cannot resolve ref 'mian'"
assert_contains "$ERR" "(did you mean 'main'?)"
expect_exit 1 validate --repo "$T/r" --ref relase-2026
assert_contains "$ERR" "(did you mean 'release-2026'?)"
expect_exit 1 validate --repo "$T/r" --ref zzzzzzzz
assert_not_contains "$ERR" "did you mean"
expect_exit 0 validate --repo "$T/r" --ref release-2026

# version --format json.
expect_exit 0 version --format json
assert_eq "$(jget "$OUT" .version)" "$("$MAILWARD" version | sed -n '1s/^mailward //p')" "version"
for lib in libgit2 libyaml jansson openssl libcurl; do
	[ -n "$(jget "$OUT" ".libraries.$lib")" ] || fail "version --format json lacks $lib"
done
usage_error version "--format takes text or json, not 'xml'" version --format xml
expect_exit 0 --version
assert_contains "$OUT" "mailward "

# --color: NO_COLOR only changes the default; --color wins either way.
sandbox_start "$EXAMPLES/live-state.json"
demo_repo
expect_exit 2 plan --out "$T/plan.json"
ESC=$'\033['
NO_COLOR=1 expect_exit 0 show "$T/plan.json" --color=always
grep -qF "$ESC" "$OUT" || fail "--color=always gave no colour under NO_COLOR"
expect_exit 0 show "$T/plan.json"
grep -qF "$ESC" "$OUT" && fail "colour on a pipe without --color"
# On a terminal: auto colours unless NO_COLOR; never does not.
on_tty() {
	script -qec "$(printf '%q ' "$MAILWARD" "$@")" /dev/null </dev/null >"$OUT" 2>"$ERR" ||
		true
}
NO_COLOR='' on_tty show "$T/plan.json"
grep -qF "$ESC" "$OUT" || fail "no colour on a terminal with --color=auto"
NO_COLOR='' on_tty show "$T/plan.json" --color=never
grep -qF "$ESC" "$OUT" && fail "colour on a terminal with --color=never"
NO_COLOR=1 on_tty show "$T/plan.json"
grep -qF "$ESC" "$OUT" && fail "colour on a terminal under NO_COLOR"
usage_error show "--color takes auto, always or never, not 'yes'" show "$T/plan.json" --color=yes

# Each command's --help holds only what applies to it.
expect_exit 0 validate --help
for text in "the plan records no commit" "PLANFILE" "when in sync" "--prune" "--color"; do
	assert_not_contains "$OUT" "$text"
done
assert_contains "$OUT" "--staged"
assert_contains "$OUT" "github"
expect_exit 0 drift --help
assert_contains "$OUT" "nothing at all"
expect_exit 0 apply --help
assert_contains "$OUT" "with PLANFILE: the"
assert_contains "$OUT" "--color WHEN"
