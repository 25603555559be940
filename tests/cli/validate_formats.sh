#!/usr/bin/env bash
# validate_formats: problems go to stderr in every command; validate
# --format text|json|github: text is FILE:LINE:COL: message lines and the
# summary on stderr, json one document on stdout, github one ::error
# annotation per problem on stdout, escaped by GitHub's rules.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R"
printf 'account_id: %s\ndomains:\n  a.example.com: {lookback_hops: 0}\n  b.example.com: {frobnicate: 1}\n' \
	"$ACCOUNT" >"$R/a.yaml"
# A file name with the characters GitHub's properties must escape, and a
# message that quotes a key with '%', ':' and ','.
printf 'domains:\n  c.example.com: {"50%%: a,b": 1}\n' >"$R/we,ird:name.yaml"
make_repo "$R"
cd "$R"

# text: everything on stderr, nothing on stdout.
expect_exit 1 validate
[ ! -s "$OUT" ] || fail "validate printed on stdout"
assert_contains "$ERR" "a.yaml:3:34: lookback_hops must be from 1 to 20, not 0"
assert_contains "$ERR" "a.yaml:4:19: unknown setting 'frobnicate'"
assert_contains "$ERR" "mailward: the desired state has 3 problems"
expect_exit 1 validate --format text
assert_contains "$ERR" "a.yaml:3:34: lookback_hops must be from 1 to 20, not 0"
[ ! -s "$OUT" ] || fail "validate --format text printed on stdout"

# json: one document on stdout.
expect_exit 1 validate --format json
assert_eq "$(jget "$OUT" .valid)" false "valid"
assert_eq "$(jget "$OUT" '.problems[0]')" \
	'{"level":"error","file":"a.yaml","line":3,"col":34,"message":"lookback_hops must be from 1 to 20, not 0"}' \
	"the first problem"
assert_eq "$(jget "$OUT" '.problems[2].file')" "we,ird:name.yaml" "the third problem's file"
assert_not_contains "$ERR" "a.yaml:3:34"

# github: annotations on stdout, '%', CR and LF escaped in messages, and
# ':' and ',' too in properties.
expect_exit 1 validate --format github
assert_eq "$(grep -c '^::error ' "$OUT")" 3 "annotations"
assert_contains "$OUT" "::error file=a.yaml,line=3,col=34::lookback_hops must be from 1 to 20, not 0"
assert_contains "$OUT" "::error file=we%2Cird%3Aname.yaml,line=2,col="
grep -F "we%2Cird%3Aname.yaml" "$OUT" | grep -qF "50%25: a,b" ||
	fail "the message is not escaped by GitHub's rules: $(cat "$OUT")"
assert_not_contains "$OUT" "50%: a"

# A file name that is not UTF-8 (git allows any bytes): JSON cannot hold it
# raw, so it is shown escaped, as in text and github; its problem is never
# left out of the document.
printf 'domains:\n  d.example.com: {lookback_hops: 0}\n' >"$R/bad"$'\xff'".yaml"
commit "$R" not-utf8
expect_exit 1 validate --format json
assert_eq "$(jget -n "$OUT" .problems)" 4 "problems with a file name that is not UTF-8"
files=$(for i in 0 1 2 3; do jget "$OUT" ".problems[$i].file"; echo; done)
grep -qxF 'bad\xff.yaml' <<<"$files" || fail "no problem names bad\\xff.yaml: $files"
rm "$R/bad"$'\xff'".yaml"

# A file name that begins with '::' (a file at the root): a CI runner reads
# a line that begins with '::' on either stream as a workflow command, so
# no line of the text format may begin with it.
printf 'domains:\n  e.example.com: {lookback_hops: 0}\n' >"$R/::error::forged.yaml"
commit "$R" colons
expect_exit 1 validate
assert_contains "$ERR" "::error::forged.yaml:2:34: lookback_hops must be from 1 to 20, not 0"
! grep -q '^::' "$ERR" || fail "a line of validate's text begins with '::': $(grep '^::' "$ERR")"
expect_exit 1 validate --format github
assert_contains "$OUT" "::error file=%3A%3Aerror%3A%3Aforged.yaml,line=2,col=34::"
rm "$R/::error::forged.yaml"

# Valid: json says so with the count; github prints nothing; text the summary.
printf 'account_id: %s\ndomains:\n  a.example.com: {lookback_hops: 2}\n' "$ACCOUNT" >"$R/a.yaml"
rm "$R/we,ird:name.yaml"
commit "$R" valid
expect_exit 0 validate --format json
assert_eq "$(jget "$OUT" .valid)" true "valid"
assert_eq "$(jget "$OUT" .domains)" 1 "domains"
assert_eq "$(jget "$OUT" .problems)" "[]" "problems"
expect_exit 0 validate --format github
[ ! -s "$OUT" ] || fail "a valid repository gave annotations"
expect_exit 0 validate
assert_contains "$ERR" "valid: 1 domain in 1 file"

# A problem that is not in a document (no such ref) in each format.
expect_exit 1 validate --ref nope --format json
assert_eq "$(jget "$OUT" .valid)" false "valid"
assert_contains "$OUT" "cannot resolve ref 'nope'"
expect_exit 1 validate --ref nope --format github
assert_contains "$OUT" "::error::cannot resolve ref 'nope'"
expect_exit 1 validate --format yaml
assert_contains "$ERR" "mailward validate: --format takes text, json or github, not 'yaml'"

# A file name or message with a control character never reaches stdout raw.
printf 'domains:\n  x.example.com: {lookback_hops: 0}\n' >"$R/evil"$'\033]0;x\007'".yaml"
commit "$R" evil
for f in text json github; do
	expect_exit 1 validate --format $f
	LC_ALL=C grep -q $'[\001-\010\013-\037\177]' "$OUT" "$ERR" &&
		fail "a raw control character in validate --format $f"
done
assert_contains "$OUT" "::error file=evil\\x1b]0;x\\x07.yaml"

# plan and drift: document problems on stderr too, stdout empty.
sandbox_start "$EXAMPLES/live-state.json"
for cmd in plan drift; do
	expect_exit 1 $cmd
	[ ! -s "$OUT" ] || fail "$cmd printed problems on stdout"
	assert_contains "$ERR" ":2:34: lookback_hops must be from 1 to 20, not 0"
done
