#!/usr/bin/env bash
# import --schema-url: every file import writes (standard output, --out FILE,
# --out DIR/) begins with the line editors read, and still plans to nothing
# once committed; what import writes conforms to `mailward schema` (checked
# with python3-jsonschema); a URL that could break out of the comment line
# (a line break, a space, a control or non-ASCII byte) is refused before any
# request, and --format state refuses the flag.
. "$(dirname "$0")/lib.sh"

gen_state 3 >"$T/state.json"
sandbox_start "$T/state.json"
export CLOUDFLARE_ACCOUNT_ID=$ACCOUNT
line='# yaml-language-server: $schema=../schema/desired-state.schema.json'

# Standard output: the first line, before import's own header.
expect_exit 0 import --schema-url ../schema/desired-state.schema.json
assert_eq "$(head -n 1 "$OUT")" "$line" "first line on standard output"
assert_eq "$(sed -n 2p "$OUT" | cut -c1-27)" "# Written by \`mailward impo" "import's header after it"
# Without the flag, no such line.
expect_exit 0 import
assert_not_contains "$OUT" "yaml-language-server"

# --out DIR/: every file begins with it; the repository plans to nothing.
mkdir -p "$T/repo/schema"
"$MAILWARD" schema >"$T/repo/schema/desired-state.schema.json"
expect_exit 0 import --out "$T/repo/domains/" --schema-url ../schema/desired-state.schema.json
files=0
for f in "$T"/repo/domains/*.yaml; do
	assert_eq "$(head -n 1 "$f")" "$line" "first line of $f"
	files=$((files + 1))
done
assert_eq "$files" 3 "files written"
# --out FILE as well.
expect_exit 0 import --out "$T/repo/all.yml" --schema-url https://example.com/s.json
assert_eq "$(head -n 1 "$T/repo/all.yml")" \
	'# yaml-language-server: $schema=https://example.com/s.json' "first line of --out FILE"
mv "$T/repo/all.yml" "$T/all.yml"
make_repo "$T/repo"
cd "$T/repo"
expect_exit 0 validate
expect_exit 0 plan --format json
assert_eq "$(jget "$OUT" .summary.update)" 0 "updates after import"
assert_eq "$(jget "$OUT" .summary.noop)" 3 "domains in sync after import"

# What import writes conforms to the schema, as an editor would check it.
py=/usr/bin/python3
if ! "$py" -c 'import jsonschema, yaml' 2>/dev/null; then
	if [ "${CI:-}" = true ] || [ -n "${MAILWARD_REQUIRE_TOOLS:-}" ]; then
		fail "python3-jsonschema and python3-yaml are needed (scripts/debian-packages)"
	fi
	echo "skipped: python3-jsonschema is not installed"
	exit 77
fi
"$py" - "$T/repo/schema/desired-state.schema.json" "$T/all.yml" "$T"/repo/domains/*.yaml <<'PY' ||
import json, sys, jsonschema, yaml
v = jsonschema.Draft7Validator(json.load(open(sys.argv[1])))
bad = 0
for p in sys.argv[2:]:
    for e in v.iter_errors(yaml.safe_load(open(p))):
        print(f"{p}: {list(e.path)}: {e.message}")
        bad += 1
sys.exit(1 if bad else 0)
PY
	fail "import wrote documents the schema rejects"

# A URL that could end the comment is refused before any request.
reset_stats
for url in $'x.json\ndomains: {}' 'a b.json' $'x\tjson' $'x\x1b[31m.json' $'sch\xc3\xa9ma.json' ''; do
	expect_exit 1 import --schema-url "$url" --out "$T/never.yaml"
	assert_contains "$ERR" "schema URL"
	[ ! -e "$T/never.yaml" ] || fail "a refused URL still wrote a file"
done
if grep -q $'\x1b' "$ERR"; then
	fail "the refusal printed a raw control character"
fi
expect_exit 1 import --format state --schema-url x.json
assert_contains "$ERR" "--schema-url applies to YAML"
assert_eq "$(stats .requests.total)" 0 "requests sent for refused command lines"
assert_all_valid
echo ok
