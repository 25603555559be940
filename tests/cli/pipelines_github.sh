#!/usr/bin/env bash
# The GitHub Actions examples (examples/pipelines/github/): each workflow
# parses, references scripts that exist, keeps the settings the flow relies
# on, and its steps' `run:` commands, taken from the workflow files, run as
# the workflows would: a pull request's plan and its one comment (created,
# then edited in place), the merge, the reviewed plan found and downloaded
# (a stand-in `gh` serves GitHub's answers) and applied with the audit log,
# the refusals, and the nightly drift job.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipelines_lib.sh"

command -v jq >/dev/null || skip "jq is not installed (the stand-in gh evaluates --jq with it)"
GH=$PIPE/github
PLAN_WF=$GH/mailward-plan.yml
APPLY_WF=$GH/mailward-apply.yml
DRIFT_WF=$GH/mailward-drift.yml

# --- the files ----------------------------------------------------------
"$YAML_CHECK" "$PLAN_WF" "$APPLY_WF" "$DRIFT_WF" >"$OUT" 2>&1 || fail "a workflow does not parse"
for wf in "$PLAN_WF" "$APPLY_WF" "$DRIFT_WF"; do
	grep -o 'ci/mailward/[A-Za-z0-9_-]*' "$wf" | sort -u >"$T/refs"
	[ -s "$T/refs" ] || fail "$wf runs no ci/mailward/ script"
	while read -r ref; do
		[ -x "$BIN/${ref#ci/mailward/}" ] || fail "$wf runs $ref: no such script in $BIN"
	done <"$T/refs"
	# Expressions never expand inside a script (no injection): env only.
	if grep -E '^ *run: .*\$\{\{' "$wf"; then fail "$wf: a \${{ }} expression inside run:"; fi
	assert_contains "$wf" "- {name: main, path: desired}"
	assert_contains "$wf" "persist-credentials: false"
done
assert_contains "$PLAN_WF" "pull-requests: write"
assert_contains "$PLAN_WF" "contents: read"
assert_contains "$PLAN_WF" "fetch-depth: 0"
assert_contains "$PLAN_WF" 'ref: ${{ github.event.pull_request.head.sha || github.sha }}'
assert_contains "$PLAN_WF" "secrets.CLOUDFLARE_API_TOKEN_READ"
assert_contains "$APPLY_WF" "fetch-depth: 0"
assert_contains "$APPLY_WF" "cancel-in-progress: false"
assert_contains "$APPLY_WF" "group: mailward-apply-"
assert_contains "$APPLY_WF" "MAILWARD_REQUIRE_ANCESTOR: origin/main"
assert_contains "$APPLY_WF" "environment: mailward-apply"
assert_contains "$APPLY_WF" "secrets.CLOUDFLARE_API_TOKEN }}"
assert_contains "$APPLY_WF" "path: audit.jsonl"
assert_contains "$DRIFT_WF" "secrets.MAILWARD_NOTIFY_URL"
# Only the apply job ever sees the write token.
assert_not_contains "$PLAN_WF" "secrets.CLOUDFLARE_API_TOKEN }}"
assert_not_contains "$DRIFT_WF" "secrets.CLOUDFLARE_API_TOKEN }}"

# --- a stand-in for the GitHub CLI (pipelines_lib.sh) ------------------
gh_standin
# What GitHub Actions sets, and what the workflows' env says.
export GITHUB_REPOSITORY=acme/email-security GITHUB_SERVER_URL=https://github.com \
	GITHUB_RUN_ID=4242 GITHUB_ACTOR=octocat GH_TOKEN=ghs_not-a-real-token \
	GITHUB_STEP_SUMMARY=$T/summary.md
export MAILWARD_PATH=desired # matrix.path
repo_api=$GH_FIXTURES/api/repos/$GITHUB_REPOSITORY
mkdir -p "$repo_api/issues/12" "$repo_api/commits" "$repo_api/actions/runs"

# --- pull request #12: plan, comment ------------------------------------
# actions/checkout: ref: the PR's head sha, fetch-depth: 0.
review_branch "$T/pr"
run_step "$PLAN_WF" Plan
[ "$RC" = 0 ] || fail "the Plan step exited $RC"
assert_contains plan.md "1 to update"
assert_eq "$(jget plan.json .source.commit)" "$HEAD_SHA" "plan of the PR head"
echo '[]' >"$repo_api/issues/12/comments.json"
export PR_NUMBER=12 MAILWARD_COMMENT_KEY=mailward-plan-main
run_step "$PLAN_WF" "Comment on the pull request"
[ "$RC" = 0 ] || fail "the comment step exited $RC"
assert_eq "$(cat "$GH_BODIES/0.req")" "POST repos/$GITHUB_REPOSITORY/issues/12/comments" "new comment"
assert_eq "$(head -n 1 "$GH_BODIES/0.md")" "<!-- mailward-plan-main -->" "marker"
assert_contains "$GH_BODIES/0.md" "### mailward plan: 1 to update"
assert_contains "$GH_BODIES/0.md" "(https://github.com/acme/email-security/actions/runs/4242)"
run_step "$PLAN_WF" "Job summary"
assert_contains "$GITHUB_STEP_SUMMARY" "### mailward plan: 1 to update"
cp plan.json plan.md "$T/" # the artifact
# The next push edits that comment, not a human's that quotes the marker,
# nor another key's.
cat >"$repo_api/issues/12/comments.json" <<'EOF'
[{"id": 501, "user": {"login": "octocat", "type": "User"}, "body": "<!-- mailward-plan-main --> quoted"},
 {"id": 502, "user": {"login": "github-actions[bot]", "type": "Bot"}, "body": "<!-- mailward-plan-main -->\n### old plan"},
 {"id": 503, "user": {"login": "github-actions[bot]", "type": "Bot"}, "body": "<!-- mailward-plan-other -->\n### other"}]
EOF
run_step "$PLAN_WF" "Comment on the pull request"
[ "$RC" = 0 ] || fail "the comment step exited $RC"
assert_eq "$(cat "$GH_BODIES/1.req")" "PATCH repos/$GITHUB_REPOSITORY/issues/comments/502" "edit in place"
assert_eq "$(find "$GH_BODIES" -name '*.req' | wc -l)" 2 "one call per run"

# --- merged: find the reviewed plan, apply it ---------------------------
git -C "$WORK" checkout -q main
git -C "$WORK" merge -q --no-ff -m "Merge pull request #12 from acme/more-hops" more-hops
git -C "$WORK" push -q origin main
export GITHUB_SHA
GITHUB_SHA=$(git -C "$WORK" rev-parse HEAD)
git clone -q "$ORIGIN" "$T/main" # actions/checkout, fetch-depth: 0
cd "$T/main"
mkdir -p "$repo_api/commits/$GITHUB_SHA"
cat >"$repo_api/commits/$GITHUB_SHA/pulls.json" <<EOF
[{"number": 9, "merged_at": null, "head": {"sha": "$(printf '%040d' 9)"}},
 {"number": 12, "merged_at": "2026-11-27T10:00:00Z", "head": {"sha": "$HEAD_SHA"}}]
EOF
echo '[{"databaseId": 777}]' >"$GH_FIXTURES/run-list.json"
mkdir -p "$GH_FIXTURES/runs/777/mailward-plan-main"
cp "$T/plan.json" "$T/plan.md" "$GH_FIXTURES/runs/777/mailward-plan-main/"
export MAILWARD_PLAN_ARTIFACT=mailward-plan-main MAILWARD_REQUIRE_ANCESTOR=origin/main \
	MAILWARD_AUDIT_LOG=audit.jsonl MAILWARD_ACTOR=octocat PLAN_RUN_ID=
: >"$GH_LOG"
run_step "$APPLY_WF" "Fetch the reviewed plan"
[ "$RC" = 0 ] || fail "the fetch step exited $RC"
assert_contains "$ERR" "pull request #12, head $HEAD_SHA, plan run 777"
assert_contains "$GH_LOG" "gh run list --repo acme/email-security --workflow mailward-plan.yml --commit $HEAD_SHA --event pull_request --status success"
assert_contains "$GH_LOG" "gh run download 777 --repo acme/email-security --name mailward-plan-main --dir plan"
cmp -s plan/plan.json "$T/plan.json" || fail "the downloaded plan differs"
reset_stats
run_step "$APPLY_WF" Apply
[ "$RC" = 0 ] || fail "the Apply step exited $RC"
assert_contains "$OUT" "✓ updated example.net"
assert_eq "$(stats .requests.patch)" 1 "one PATCH"
assert_eq "$(jget -l audit.jsonl '[0].actor')" octocat "actor"
assert_eq "$(jget -l audit.jsonl '[0].commit')" "$HEAD_SHA" "audited commit"
run_step "$APPLY_WF" "Job summary"
assert_contains "$GITHUB_STEP_SUMMARY" "Applied (or refused, see the log) the reviewed plan:"
# A re-run of the job (same plan): stale, exit 4, nothing sent.
reset_stats
run_step "$APPLY_WF" Apply
[ "$RC" = 4 ] || fail "re-applying exited $RC, expected 4"
assert_eq "$(stats .requests.patch)" 0 "nothing sent"

# --- refusals of github-find-plan ---------------------------------------
# A push without a merged pull request.
echo '[]' >"$repo_api/commits/$GITHUB_SHA/pulls.json"
run_step "$APPLY_WF" "Fetch the reviewed plan"
[ "$RC" = 1 ] || fail "no PR: exit $RC"
assert_contains "$ERR" "no merged pull request for $GITHUB_SHA"
# A pull request whose plan never succeeded (denied, failed).
printf '[{"number": 12, "merged_at": "x", "head": {"sha": "%s"}}]\n' "$HEAD_SHA" \
	>"$repo_api/commits/$GITHUB_SHA/pulls.json"
echo '[]' >"$GH_FIXTURES/run-list.json"
run_step "$APPLY_WF" "Fetch the reviewed plan"
[ "$RC" = 1 ] || fail "no successful run: exit $RC"
assert_contains "$ERR" "has no successful 'mailward-plan.yml' run"
# An artifact whose plan was made from another commit.
echo '[{"databaseId": 778}]' >"$GH_FIXTURES/run-list.json"
mkdir -p "$GH_FIXTURES/runs/778/mailward-plan-main"
sed "s/$HEAD_SHA/$(printf '%040d' 1)/" "$T/plan.json" >"$GH_FIXTURES/runs/778/mailward-plan-main/plan.json"
run_step "$APPLY_WF" "Fetch the reviewed plan"
[ "$RC" = 1 ] || fail "plan of another commit: exit $RC"
assert_contains "$ERR" "not from $HEAD_SHA; refusing"

# --- workflow_dispatch: apply a plan run of main by its id ---------------
# (after a stale plan: main planned again by hand, reviewed)
git clone -q "$ORIGIN" "$T/main2"
cd "$T/main2"
unset PR_NUMBER
run_step "$PLAN_WF" Plan
[ "$RC" = 0 ] || fail "planning main exited $RC"
assert_contains plan.md "no changes"
mkdir -p "$GH_FIXTURES/runs/900/mailward-plan-main"
cp plan.json plan.md "$GH_FIXTURES/runs/900/mailward-plan-main/"
rm plan.json plan.md
printf '{"conclusion": "failure", "head_sha": "%s"}\n' "$GITHUB_SHA" >"$repo_api/actions/runs/900.json"
PLAN_RUN_ID=900 run_step "$APPLY_WF" "Fetch the reviewed plan"
[ "$RC" = 1 ] || fail "a failed run: exit $RC"
assert_contains "$ERR" "run 900 did not succeed (failure)"
printf '{"conclusion": "success", "head_sha": "%s"}\n' "$GITHUB_SHA" >"$repo_api/actions/runs/900.json"
PLAN_RUN_ID=900 run_step "$APPLY_WF" "Fetch the reviewed plan"
[ "$RC" = 0 ] || fail "the fetch step (dispatch) exited $RC"
run_step "$APPLY_WF" Apply
[ "$RC" = 0 ] || fail "the Apply step (dispatch) exited $RC"
assert_contains "$ERR" "nothing to apply"

# --- the nightly drift job ----------------------------------------------
cd "$T/main"
git pull -q
sink_start
export MAILWARD_NOTIFY_URL=$SINK_URL/hooks/nightly
: >"$GITHUB_STEP_SUMMARY"
run_step "$DRIFT_WF" Drift "-o pipefail"
[ "$RC" = 0 ] || fail "drift (in sync) exited $RC"
assert_contains "$GITHUB_STEP_SUMMARY" "mailward drift"
[ ! -s "$SINK_OUT" ] || fail "notified while in sync"
api PATCH "/accounts/$ACCOUNT/email-security/settings/domains/b7e2d1c0-5a4f-4e3d-9c2b-1a0f9e8d7c6b" \
	-d '{"lookback_hops": 6}' >/dev/null
run_step "$DRIFT_WF" Drift "-o pipefail"
[ "$RC" = 2 ] || fail "drift (drifted) exited $RC, expected 2 (pipefail: not tee's 0)"
assert_contains "$GITHUB_STEP_SUMMARY" "example.net"
assert_eq "$(wc -l <"$SINK_OUT")" 1 "one notification"
jget -l "$SINK_OUT" '[0].text' | grep -q "example.net: lookback_hops git 5, live 6" ||
	fail "notification text: $(cat "$SINK_OUT")"
assert_not_contains "$SINK_LOG" "$TOKEN"

for f in "$GH_BODIES"/* "$GITHUB_STEP_SUMMARY" "$T/plan.json" "$T/main/audit.jsonl" "$SINK_OUT"; do
	assert_not_contains "$f" "$TOKEN"
done
assert_all_valid
echo ok
