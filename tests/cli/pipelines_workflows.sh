#!/usr/bin/env bash
# The GitHub workflows and action.yml, parsed as YAML (python3-yaml, into
# JSON for jq): every `uses:` is pinned by a 40-hex commit with its version
# in a comment, and that commit is the one the action's repository tagged
# with that version (the table below, read from the actions' own tags);
# every artifact upload overwrites on a re-run; the status checks that
# examples/README.md tells to require are exactly the check names the pull
# request workflows produce (job name, or job id plus the matrix values).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipelines_lib.sh"

command -v jq >/dev/null || skip "jq is not installed"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
"$PY" -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
# yaml_json FILE: the file's one document as JSON (GitHub reads `on:` as a
# key: YAML 1.1's boolean is turned back into "on").
yaml_json() {
	"$PY" -c '
import json, sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
if isinstance(d, dict) and True in d:
    d["on"] = d.pop(True)
json.dump(d, sys.stdout, default=str)
' "$1"
}

ACTION=$EXAMPLES/../action.yml
FILES=("$PIPE"/github/*.yml)
[ ! -f "$ACTION" ] || FILES+=("$ACTION")
# The releases used, as tagged in each action's repository (git ls-remote
# --tags https://github.com/actions/NAME): NAME@COMMIT VERSION.
PINNED="actions/checkout@11d5960a326750d5838078e36cf38b85af677262 v4.4.0
actions/cache@0057852bfaa89a56745cba8c7296529d2fc39830 v4.3.0
actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 v4.6.2
actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 v4.3.0"

# --- every uses: pinned -------------------------------------------------
n=0
for f in "${FILES[@]}"; do
	yaml_json "$f" >"$T/wf.json" || fail "$f does not parse"
	jq -r '[.. | objects | select(has("uses")) | .uses] | .[]' "$T/wf.json" >"$T/uses"
	while read -r u; do
		n=$((n + 1))
		[[ $u =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$ ]] ||
			fail "$f: uses: $u is not pinned by a 40-hex commit"
		# The version in a comment on the same line, and the right commit for it.
		line=$(grep -F "uses: $u" "$f" | head -n 1)
		[[ $line =~ \#\ (v[0-9]+\.[0-9]+\.[0-9]+)$ ]] || fail "$f: uses: $u has no '# vX.Y.Z' comment"
		grep -qxF "$u ${BASH_REMATCH[1]}" <<<"$PINNED" ||
			fail "$f: $u is not the commit of ${u%@*} ${BASH_REMATCH[1]}"
	done <"$T/uses"
	# Uploads survive a re-run of the job.
	jq -r '[.. | objects | select((.uses // "") | startswith("actions/upload-artifact@"))
		| (.with.overwrite // false) | tostring] | .[]' "$T/wf.json" >"$T/ow"
	if grep -qv '^true$' "$T/ow"; then fail "$f: an upload-artifact step without overwrite: true"; fi
done
[ "$n" -ge 8 ] || fail "only $n uses: found"
# A test of this test: an unpinned or mispinned line is caught.
printf 'jobs: {a: {steps: [{uses: actions/checkout@v4}]}}\n' >"$T/bad.yml"
yaml_json "$T/bad.yml" | jq -r '[.. | objects | select(has("uses")) | .uses] | .[]' | grep -qx 'actions/checkout@v4' ||
	fail "the uses: extraction"

# --- the required check names -------------------------------------------
# check_names WORKFLOW.json: what GitHub names each job's checks: its name:
# with ${{ matrix.X }} filled in per matrix entry, else "id (values...)".
check_names() {
	jq -r '
		.jobs | to_entries[] | .key as $id | .value as $job
		| ($job.strategy.matrix.include // [null])[] as $m
		| if $job.name then
			$job.name | reduce ($m // {} | to_entries[]) as $e (.;
				gsub("\\$\\{\\{ *matrix\\." + $e.key + " *\\}\\}"; $e.value | tostring))
		  elif $m then "\($id) (\($m | [.[] | tostring] | join(", ")))"
		  else $id end' "$1"
}
: >"$T/pr-checks"
for f in "$PIPE"/github/*.yml; do
	yaml_json "$f" >"$T/wf.json"
	if jq -e '.on | has("pull_request")' "$T/wf.json" >/dev/null; then
		check_names "$T/wf.json" >>"$T/pr-checks"
	fi
done
sort -o "$T/pr-checks" "$T/pr-checks"
[ -s "$T/pr-checks" ] || fail "no workflow runs on pull requests"
if grep -n '\${{' "$T/pr-checks"; then fail "a check name with an expression left"; fi
# examples/README.md: "require a pull request, the status check(s) **`NAME`**, ..."
grep -A1 'require a pull request, the status check' "$EXAMPLES/README.md" |
	grep -o '\*\*`[^`]*`\*\*' | sed 's/^\*\*`//; s/`\*\*$//' | sort >"$T/readme-checks"
[ -s "$T/readme-checks" ] || fail "examples/README.md names no required check"
diff -u "$T/readme-checks" "$T/pr-checks" >&2 ||
	fail "the checks examples/README.md requires are not the ones the workflows produce"
# A test of this test: a matrix job without a name: is named with every value.
printf 'jobs: {plan: {strategy: {matrix: {include: [{name: main, path: desired}]}}}}\n' >"$T/m.yml"
yaml_json "$T/m.yml" >"$T/m.json"
assert_eq "$(check_names "$T/m.json")" "plan (main, desired)" "GitHub's name of an unnamed matrix job"
echo ok
