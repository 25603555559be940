#!/usr/bin/env bash
# Files mailward writes (plan --out, import --out FILE and --out DIR/) go
# through a fresh mkstemp(3) file renamed over the target: a symbolic link
# planted at the target is replaced, never followed; a link planted at the
# old predictable temporary name FILE.tmp.PID is never touched; plans are
# 0600, also over an existing 0644 file; nothing else is left behind.
. "$(dirname "$0")/lib.sh"

umask 022
gen_state 3 >"$T/state.json"
sandbox_start "$T/state.json"
mkdir -p "$T/repo"
gen_desired 3 1 >"$T/repo/domains.yaml"
make_repo "$T/repo"
cd "$T/repo"

mkdir -p "$T/w"
victim() {
	printf 'precious\n' >"$T/victim"
	chmod 644 "$T/victim"
}
assert_victim_intact() {
	assert_eq "$(cat "$T/victim")" precious "$1: the link's target"
	assert_eq "$(stat -c %a "$T/victim")" 644 "$1: the mode of the link's target"
}
assert_regular() {
	[ -f "$1" ] && [ ! -L "$1" ] || fail "$1 is not a regular file"
}

# plan --out over a planted link.
victim
ln -s "$T/victim" "$T/w/plan.json"
expect_exit 2 plan --out "$T/w/plan.json"
assert_victim_intact "plan --out"
assert_regular "$T/w/plan.json"
assert_eq "$(stat -c %a "$T/w/plan.json")" 600 "mode of a new plan"
jget "$T/w/plan.json" .digest >/dev/null || fail "the plan is not JSON"

# plan --out over an existing 0644 file: 0600 afterwards.
chmod 644 "$T/w/plan.json"
expect_exit 2 plan --out "$T/w/plan.json"
assert_eq "$(stat -c %a "$T/w/plan.json")" 600 "mode of a plan written over a 0644 file"

# The old predictable temporary name, FILE.tmp.PID, as a link: mailward
# runs as the PID of this shell (exec), so that name is known in advance.
victim
rm -f "$T/w/plan.json"
bash -c 'ln -s "$1" "$2.tmp.$$" && exec "$3" plan --out "$2"' _ \
	"$T/victim" "$T/w/plan.json" "$MAILWARD" >"$OUT" 2>"$ERR" || RC=$?
assert_eq "${RC:-0}" 2 "plan --out with a link at FILE.tmp.PID"
RC=0
assert_victim_intact "a link at FILE.tmp.PID"
assert_regular "$T/w/plan.json"
rm -f "$T/w"/plan.json.tmp.*
assert_eq "$(ls -A "$T/w")" plan.json "files left in the folder"

# import --out FILE over a planted link.
export CLOUDFLARE_ACCOUNT_ID=$ACCOUNT
victim
ln -s "$T/victim" "$T/w/domains.yaml"
expect_exit 1 import --out "$T/w/domains.yaml"
assert_contains "$ERR" "exists: nothing was written; give --force"
expect_exit 0 import --out "$T/w/domains.yaml" --force
assert_victim_intact "import --out FILE"
assert_regular "$T/w/domains.yaml"
assert_eq "$(stat -c %a "$T/w/domains.yaml")" 644 "mode of an import file (umask 022)"
assert_contains "$T/w/domains.yaml" "d1.example.com:"

# import --out DIR/ with a link planted at one of the files it writes.
victim
mkdir -p "$T/split"
ln -s "$T/victim" "$T/split/d2.example.com.yaml"
expect_exit 0 import --out "$T/split/" --force
assert_victim_intact "import --out DIR/"
assert_regular "$T/split/d2.example.com.yaml"
assert_contains "$T/split/d2.example.com.yaml" "d2.example.com:"
assert_eq "$(ls -A "$T/split" | wc -l)" 3 "files in --out DIR/"

# import --format state: 0600 over a link and over a 0644 file.
victim
ln -s "$T/victim" "$T/w/state.json"
expect_exit 0 import --format state --out "$T/w/state.json" --force
assert_victim_intact "import --format state"
assert_eq "$(stat -c %a "$T/w/state.json")" 600 "mode of a state copy"
assert_eq "$(ls -A "$T/w" | sort | tr '\n' ' ')" "domains.yaml plan.json state.json " \
	"files left in the folder"
echo ok
