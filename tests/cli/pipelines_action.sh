#!/usr/bin/env bash
# The GitHub Action (action.yml at the repository's root), its composite
# steps run as a runner runs them (gha_composite.py: `if:` evaluated,
# `${{ inputs.x }}` and the github context filled in, each run: with
# `shell: bash`, GITHUB_OUTPUT and GITHUB_PATH honoured, uploads kept):
# plan-comment on a pull request (the plan, its one comment, the plan
# artifact, exit-code 0), a policy input that denies (exit-code 3, the
# comment still posted), apply of the reviewed plan after the merge (one
# PATCH, the audit log artifact; a re-run is stale, 4), drift (in sync,
# then drift with the webhook notified), and the refusals (an unknown mode,
# an action not pinned by commit). The mailward build comes from the cache
# the "Cache the mailward build" step restores (tests/cli/pipelines_install.sh
# tests the build itself).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipelines_lib.sh"

command -v jq >/dev/null || skip "jq is not installed (the stand-in gh evaluates --jq with it)"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
"$PY" -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
ROOT=$(cd "$EXAMPLES/.." && pwd)
ACTION=$ROOT/action.yml
RUNNER=$TESTS_DIR/cli/gha_composite.py
[ -f "$RUNNER" ] || RUNNER=$(dirname "$0")/gha_composite.py

# --- the file -----------------------------------------------------------
"$YAML_CHECK" "$ACTION" >"$OUT" 2>&1 || fail "action.yml does not parse"
"$PY" - "$ACTION" <<'EOF' || fail "action.yml's steps"
import re, sys, yaml
a = yaml.safe_load(open(sys.argv[1]))
assert a["runs"]["using"] == "composite", "not a composite action"
for s in a["runs"]["steps"]:
    if "run" in s:
        assert s.get("shell") == "bash", f"{s.get('name')}: no shell: bash"
        # Inputs reach scripts through env, never pasted into them (injection).
        assert "${{" not in s["run"], f"{s.get('name')}: an expression inside run:"
        for tool in re.findall(r"\b(mailward-[a-z-]+|github-[a-z-]+|install-mailward)\b", s["run"]):
            import os
            assert os.access(os.path.join(os.path.dirname(sys.argv[1]), "examples/pipelines/bin", tool), os.X_OK), tool
assert set(a["inputs"]) >= {"mode", "path", "policy", "plan-file", "deb"}, sorted(a["inputs"])
EOF

# --- a runner -----------------------------------------------------------
gh_standin
export GH_FIXTURES GH_LOG=$T/gh.log GH_BODIES=$T/gh-bodies
export GITHUB_REPOSITORY=acme/email-security GITHUB_SERVER_URL=https://github.com \
	GITHUB_RUN_ID=4242 GITHUB_ACTOR=octocat GITHUB_STEP_SUMMARY=$T/summary.md
repo_api=$GH_FIXTURES/api/repos/$GITHUB_REPOSITORY
mkdir -p "$repo_api/issues/12" "$T/artifacts"
ACTION_REF=$(printf 'a%.0s' $(seq 40)) # the commit a workflow pins the action by
# The runner's cache restored a build of that commit on this image: the
# mailward of this test (a wrapper around the build's).
mkdir -p "$HOME/.local/mailward/bin"
cp "$T/path/mailward" "$HOME/.local/mailward/bin/mailward"
key=$(MAILWARD_COMMIT=$ACTION_REF "$BIN/install-mailward" --cache-key)
printf '%s %s\n' "$ACTION_REF" "$(sed "s/^mailward-//; s/-$ACTION_REF\$//" <<<"$key")" \
	>"$HOME/.local/mailward/.mailward-build"
# The test's own mailward is not on PATH: the action's install step puts it there.
export PATH=${PATH#"$T/path:"}
command -v mailward >/dev/null && skip "a mailward is installed on this machine's PATH"
mkdir -p "$T/nomw"
ln -s "$T/path/gh" "$T/nomw/gh"
export PATH=$T/nomw:$PATH

# action EVENT INPUT=VALUE...: run the action in the current folder; status
# in RC, the action's outputs in $OUT, the step log in $ERR.
action() {
	local event=$1
	shift
	jq -n --arg path "$ROOT" --arg ref "$ACTION_REF" --arg event "$event" --arg pr "${PR:-}" \
		--arg artifacts "$T/artifacts" '{
		github: {action_path: $path, action_ref: $ref, event_name: $event, actor: "octocat",
			run_id: "4242", run_attempt: "1", token: "ghs_not-a-real-token",
			event: (if $pr == "" then {} else {pull_request: {number: ($pr | tonumber)}} end)},
		artifacts: $artifacts}' >"$T/context.json"
	set +e
	env -u MAILWARD "$PY" "$RUNNER" "$ACTION" "$T/context.json" "$@" >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	check_valgrind
}
output() { sed -n "s/^$1=//p" "$OUT"; }

# --- plan-comment on pull request #12 -----------------------------------
review_branch "$T/pr"
echo '[]' >"$repo_api/issues/12/comments.json"
PR=12 action pull_request mode=plan-comment
[ "$RC" = 0 ] || fail "plan-comment exited $RC"
assert_eq "$(output exit-code)" 0 "exit-code"
assert_contains "$ERR" "step: Cache the mailward build: uses actions/cache@"
assert_contains "$ERR" "\"key\": \"$key\""
assert_contains "$ERR" "using the cached build of mailward $ACTION_REF"
assert_contains plan.md "1 to update"
assert_eq "$(jget plan.json .source.commit)" "$HEAD_SHA" "plan of the PR head"
assert_eq "$(cat "$GH_BODIES/0.req")" "POST repos/$GITHUB_REPOSITORY/issues/12/comments" "the comment"
assert_eq "$(head -n 1 "$GH_BODIES/0.md")" "<!-- mailward-plan-main -->" "the comment's key"
cmp -s plan.json "$T/artifacts/mailward-plan-main/plan.json" || fail "the plan artifact"
assert_contains "$GITHUB_STEP_SUMMARY" "1 to update"
assert_contains "$ERR" "step: Keep the audit log: skipped"
cp plan.json plan.md "$T/"
# A re-run: the artifact is replaced (overwrite), the comment edited.
printf '[{"id": 502, "user": {"login": "github-actions[bot]", "type": "Bot"}, "body": "<!-- mailward-plan-main -->\\nold"}]\n' \
	>"$repo_api/issues/12/comments.json"
PR=12 action pull_request mode=plan-comment
[ "$RC" = 0 ] || fail "plan-comment (re-run) exited $RC"
assert_eq "$(cat "$GH_BODIES/1.req")" "PATCH repos/$GITHUB_REPOSITORY/issues/comments/502" "edited in place"

# A policy kept outside the repository denies: exit-code 3, the comment
# (which says why) still posted, the job fails.
mkdir -p "$T/policies"
cat >"$T/policies/frozen-hops.yaml" <<'EOF'
name: frozen-hops
rules:
  - require:
      domains: ["example.net"]
      settings:
        lookback_hops: {max: 4}
EOF
PR=12 action pull_request mode=plan-comment policy="$T/policies"
if [ "$RC" = 0 ]; then
	fail "a denying policy: the action succeeded"
fi
assert_eq "$(output exit-code)" 3 "exit-code of a denied plan"
assert_eq "$(cat "$GH_BODIES/2.req")" "PATCH repos/$GITHUB_REPOSITORY/issues/comments/502" "comment on denial"
assert_contains "$GH_BODIES/2.md" "frozen-hops"

# --- apply after the merge ------------------------------------------------
merge_pr more-hops
git clone -q "$ORIGIN" "$T/main"
cd "$T/main"
reset_stats
action push mode=apply plan-file="$T/plan.json"
[ "$RC" = 0 ] || fail "apply exited $RC"
assert_eq "$(output exit-code)" 0 "exit-code of apply"
assert_eq "$(stats .requests.patch)" 1 "one PATCH"
assert_eq "$(jget -l "$T/artifacts/mailward-audit-main-4242-1/audit.jsonl" '[0].actor')" octocat "audit artifact"
reset_stats
action push mode=apply plan-file="$T/plan.json"
[ "$RC" != 0 ] || fail "re-applying succeeded"
assert_eq "$(output exit-code)" 4 "a re-run is stale"
assert_eq "$(stats .requests.patch)" 0 "nothing sent"

# --- drift ----------------------------------------------------------------
sink_start
export MAILWARD_NOTIFY_URL=$SINK_URL/hooks/nightly
action schedule mode=drift
[ "$RC" = 0 ] || fail "drift (in sync) exited $RC"
api PATCH "/accounts/$ACCOUNT/email-security/settings/domains/b7e2d1c0-5a4f-4e3d-9c2b-1a0f9e8d7c6b" \
	-d '{"lookback_hops": 6}' >/dev/null
action schedule mode=drift
[ "$RC" != 0 ] || fail "drift (drifted) succeeded"
assert_eq "$(output exit-code)" 2 "drift found"
assert_eq "$(wc -l <"$SINK_OUT")" 1 "notified"
unset MAILWARD_NOTIFY_URL

# --- refusals ---------------------------------------------------------------
action push mode=destroy
[ "$RC" != 0 ] || fail "an unknown mode succeeded"
assert_contains "$OUT" "::error::mailward: mode must be plan-comment, apply or drift, not 'destroy'"
assert_contains "$ERR" "step: Run mailward: skipped"
# An input echoed in a workflow command: a line break in it must not start
# a command of its own.
action push mode=$'x\n::warning::forged'
[ "$RC" != 0 ] || fail "a mode with a line break succeeded"
! grep -q '^::warning::forged' "$OUT" "$ERR" || fail "the mode input started a workflow command"
ACTION_REF=v1 action push mode=drift
[ "$RC" != 0 ] || fail "an action pinned by a tag succeeded"
assert_contains "$OUT" "pin the action by its 40-hex commit"
# plan-run-id reaches gh's API paths: a run's number, nothing else ('1 2'
# was two arguments, '1/../..' another path), refused before any step runs.
for id in '1 2' '1/../../../other/repo/actions/runs/7' '*'; do
	action workflow_dispatch mode=apply plan-run-id="$id"
	[ "$RC" != 0 ] || fail "plan-run-id '$id' was accepted"
	assert_contains "$OUT" "::error::mailward: plan-run-id must be the number of a workflow run"
	assert_contains "$ERR" "step: Run mailward: skipped"
done
assert_all_valid
echo ok
