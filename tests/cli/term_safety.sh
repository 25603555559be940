#!/usr/bin/env bash
# Names, ids, values and messages from the API, and file names and keys
# from a repository, reach the terminal escaped: no raw control byte, C1
# control, U+2028/U+2029 or bidi control in the output of validate, plan
# (text), drift, apply (also its failure lines, with a hostile API error
# message) and import. import's YAML of such a listing reads back: plan
# after import finds no change.
. "$(dirname "$0")/lib.sh"

ESC=$'\033'
LS=$'\342\200\250'    # U+2028
RLO=$'\342\200\256'   # U+202E

# C0 but tab and newline, DEL, C1 (U+0080..U+009F), U+2028/U+2029, bidi
# embeddings and overrides (U+202A..U+202E) and isolates (U+2066..U+2069).
HOSTILE='[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8-\xae]|\xe2\x81[\xa6-\xa9]'

assert_terminal_safe() {
	local what=$1 f
	shift
	for f in "$@"; do
		if LC_ALL=C grep -aqP "$HOSTILE" "$f"; then
			LC_ALL=C grep -naP "$HOSTILE" "$f" | od -c | head -20 >&2
			fail "$what: $(basename "$f") holds a raw control character"
		fi
	done
}

# A line that starts at column 0 with text an attacker chose.
assert_no_forged_line() {
	local what=$1
	if grep -q '^mailward: valid: 0 domains' "$OUT" "$ERR"; then
		fail "$what: a hostile name forged a line of output"
	fi
}

cat >"$T/state.json" <<JSON
{"accounts": {"$ACCOUNT": [
 {"id": "00000000-0000-4000-8000-000000000001", "domain": "ok1.example.com", "lookback_hops": 2,
  "transport": "\u001b[2J\u001b]0;pwned\u0007 x\u2028y\u202e\u0085"},
 {"id": "00000000-0000-4000-8000-000000000002", "domain": "ok2.example.com", "lookback_hops": 2},
 {"id": "00000000-0000-4000-8000-000000000003", "domain": "ok3.example.com", "lookback_hops": 2,
  "transport": "\u001b[31mred\nmailward: valid: 0 domains\u2029\u2066<<"},
 {"id": "00000000-0000-4000-8000-000000000004", "domain": "esc\u001b[2Jx.example.com"},
 {"id": "00000000-0000-4000-8000-000000000005", "domain": "nl\nmailward: valid: 0 domains"},
 {"id": "00000000-0000-4000-8000-000000000006", "domain": "u\u2028v.example.com"},
 {"id": "00000000-0000-4000-8000-000000000007", "domain": "bidi\u202eevil.example.com"},
 {"id": "00000000-0000-4000-8000-000000000008", "domain": "c1\u009bx.example.com"},
 {"id": "id\u001b[31m\u2028", "domain": "hostile-id.example.com"}
]}}
JSON
sandbox_start "$T/state.json"

# validate: a file name and a key holding escapes and line breaks.
mkdir -p "$T/bad"
# (YAML itself refuses raw controls: the key spells them as escapes.)
printf 'domains:\n  x.example.com:\n    "k\\e[2J\\L\\nmailward: valid: 0 domains": 1\n' \
	>"$T/bad/evil${ESC}[2J${LS}nl
mailward: valid: 0 domains.yaml"
make_repo "$T/bad"
cd "$T/bad"
expect_exit 1 validate
assert_terminal_safe validate "$OUT" "$ERR"
assert_no_forged_line validate
assert_output_contains 'evil\x1b[2J\u2028nl\nmailward: valid: 0 domains.yaml:3:5: '
assert_output_contains "unknown setting 'k\\x1b[2J\\u2028\\nmailward: valid: 0 domains'"

# plan, drift and apply: hostile live values and names, a file name with escapes.
mkdir -p "$T/repo"
printf 'account_id: %s\ndomains:\n  ok1.example.com: {transport: plain}\n' "$ACCOUNT" \
	>"$T/repo/a.yaml"
printf 'domains:\n  ok2.example.com: {lookback_hops: 3}\n' >"$T/repo/we${ESC}[2J${RLO}ird.yaml"
make_repo "$T/repo"
cd "$T/repo"
expect_exit 0 validate
assert_terminal_safe validate "$OUT" "$ERR"
expect_exit 2 plan
assert_terminal_safe plan "$OUT" "$ERR"
assert_no_forged_line plan
assert_contains "$OUT" 'transport: "\u001B[2J\u001B]0;pwned\u0007 x\u2028y\u202e\u0085" → "plain"'
assert_contains "$OUT" '? esc\x1b[2jx.example.com (00000000-0000-4000-8000-000000000004)'
assert_contains "$OUT" '? nl\nmailward: valid: 0 domains (00000000-0000-4000-8000-000000000005)'
assert_contains "$OUT" '? bidi\u202eevil.example.com'
assert_contains "$OUT" '? hostile-id.example.com (id\x1b[31m\u2028)'
expect_exit 2 plan --out "$T/plan.json"
assert_terminal_safe "plan --out" "$OUT" "$ERR"
expect_exit 0 show "$T/plan.json"
assert_terminal_safe show "$OUT" "$ERR"
expect_exit 2 drift
assert_terminal_safe drift "$OUT" "$ERR"
assert_no_forged_line drift
assert_contains "$OUT" 'live "\u001B[2J'

# apply, where the API answers with a hostile error message for one PATCH.
sandbox_restart "$T/state.json" --fault "op=patch,path=000000000002,action=status,status=400,code=1001,message=bad${ESC}[2J${LS}
mailward: valid: 0 domains"
expect_exit 5 apply --auto-approve
assert_terminal_safe apply "$OUT" "$ERR"
assert_no_forged_line apply
assert_contains "$OUT" "✓ updated ok1.example.com"
assert_contains "$OUT" 'failed: HTTP 400: code 1001: bad'
assert_contains "$OUT" '\u2028 mailward: valid: 0 domains'
sandbox_restart "$T/state.json"
expect_exit 0 apply --auto-approve
assert_terminal_safe apply "$OUT" "$ERR"

# import: to stdout, then into a repository that plans to nothing.
export CLOUDFLARE_ACCOUNT_ID=$ACCOUNT
expect_exit 0 import
assert_terminal_safe import "$OUT" "$ERR"
assert_no_forged_line import
assert_contains "$ERR" 'skipped live domain 00000000-0000-4000-8000-000000000005'
assert_contains "$OUT" 'transport: "\e[31mred\nmailward: valid: 0 domains\P\u2066<<"'
mkdir -p "$T/imported"
expect_exit 0 import --out "$T/imported/domains.yaml"
assert_terminal_safe "import --out" "$OUT" "$ERR" "$T/imported/domains.yaml"
assert_contains "$ERR" "imported 4 domains"
make_repo "$T/imported"
cd "$T/imported"
expect_exit 0 plan --format json
assert_eq "$(jget "$OUT" .summary.noop)" 4 "domains in sync after import"
assert_eq "$(jget "$OUT" .summary.unmanaged)" 5 "hostile names left unmanaged"
expect_exit 0 import --out "$T/split/"
assert_eq "$(ls "$T/split" | wc -l)" 4 "files written by import --out DIR/"
assert_all_valid
echo ok
