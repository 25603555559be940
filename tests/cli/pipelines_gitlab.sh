#!/usr/bin/env bash
# The GitLab CI example (examples/pipelines/gitlab/): it parses, references
# scripts that exist, keeps the settings the flow relies on, and its jobs'
# `script:` lines, taken from the file, run as GitLab would run them, with
# webhook-sink standing in for GitLab's API on 127.0.0.1: the
# merge-request plan and its one note (created, then edited in place; also
# on a policy denial), the merge, the reviewed plan found through the API
# and applied with the audit log, the refusals, the manual apply of a
# pipeline run on main, and the scheduled drift job.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipelines_lib.sh"

command -v jq >/dev/null || skip "jq is not installed (the GitLab scripts need it)"
CI=$PIPE/gitlab/mailward.gitlab-ci.yml

# --- the file -----------------------------------------------------------
"$YAML_CHECK" "$CI" >"$OUT" 2>&1 || fail "the GitLab CI file does not parse"
grep -o 'ci/mailward/[A-Za-z0-9_-]*' "$CI" | sort -u >"$T/refs"
while read -r ref; do
	[ -x "$BIN/${ref#ci/mailward/}" ] || fail "$CI runs $ref: no such script in $BIN"
done <"$T/refs"
for want in 'GIT_DEPTH: "0"' "resource_group: mailward-apply" "paths: [plan.json, plan.md]" \
	"paths: [audit.jsonl]" "MAILWARD_REQUIRE_ANCESTOR: origin/\$CI_DEFAULT_BRANCH" \
	"MAILWARD_PATH: desired" 'if: $CI_PIPELINE_SOURCE == "merge_request_event"' "when: manual" \
	"needs: [mailward-plan]"; do
	assert_contains "$CI" "$want"
done
# The write token only in the apply jobs' template.
assert_eq "$(grep -c 'CLOUDFLARE_API_TOKEN: \$CLOUDFLARE_API_TOKEN_WRITE' "$CI")" 1 "write token uses"
awk '/^\.mailward-apply:/ { on = 1; next } /^[^ #]/ { on = 0 } on' "$CI" |
	grep -q 'CLOUDFLARE_API_TOKEN_WRITE' || fail "the write token outside .mailward-apply"

# job_script JOB: the `script:` items of JOB, one per line.
job_script() {
	awk -v job="$1" '
		$0 == job ":" { on = 1; next }
		on && /^[^ #]/ { exit }
		on && /^  script:/ { in_script = 1; next }
		in_script && /^    - / { sub(/^    - /, ""); print; next }
		in_script && /^    #/ { next }
		in_script { exit }
	' "$CI"
}
# run_job JOB: its script in one shell, as the runner does (stops at the
# first failing line; the job's status is the script's).
run_job() {
	local script
	script=$(job_script "$1")
	[ -n "$script" ] || fail "no script for job $1"
	set +e
	env -u MAILWARD bash --noprofile --norc -e -c "$script" >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	check_valgrind
}

# --- GitLab's API, as far as the scripts use it -------------------------
FAKE=$T/gitlab
API=$FAKE/api/v4/projects/42
mkdir -p "$API/merge_requests/8" "$API/repository/commits" "$API/pipelines/1001" \
	"$API/jobs/5005/artifacts"
sink_start --serve "$FAKE"
export CI_API_V4_URL=$SINK_URL/api/v4 CI_PROJECT_ID=42 CI_DEFAULT_BRANCH=main \
	CI_PIPELINE_ID=9001 CI_PIPELINE_URL=https://gitlab.example.com/acme/email/-/pipelines/9001 \
	MAILWARD_GITLAB_TOKEN=glpat-not-a-real-token GITLAB_USER_LOGIN=alice
export MAILWARD_PATH=desired # the file's variables

# --- merge request !8: plan, one note -----------------------------------
review_branch "$T/mr"
echo '[]' >"$API/merge_requests/8/notes"
export CI_PIPELINE_SOURCE=merge_request_event CI_MERGE_REQUEST_IID=8 CI_COMMIT_SHA=$HEAD_SHA \
	CI_MERGE_REQUEST_SOURCE_BRANCH_SHA=
export CLOUDFLARE_API_TOKEN=$TOKEN # = $CLOUDFLARE_API_TOKEN_READ
run_job mailward-plan
[ "$RC" = 0 ] || fail "mailward-plan exited $RC"
assert_contains plan.md "1 to update"
assert_eq "$(jget plan.json .source.commit)" "$HEAD_SHA" "the plan's commit"
assert_contains "$SINK_LOG" "GET /api/v4/projects/42/merge_requests/8/notes"
assert_contains "$SINK_LOG" "POST /api/v4/projects/42/merge_requests/8/notes"
assert_contains "$SINK_LOG" "PRIVATE-TOKEN: glpat-not-a-real-token"
jget -l "$SINK_OUT" '[0].body' >"$T/note.md"
assert_eq "$(head -n 1 "$T/note.md")" "<!-- mailward-plan -->" "marker"
assert_contains "$T/note.md" "### mailward plan: 1 to update"
assert_contains "$T/note.md" "[pipeline 9001](https://gitlab.example.com/acme/email/-/pipelines/9001)"
cp plan.json "$T/mr-plan.json"
# The next pipeline edits that note, not a system note.
cat >"$API/merge_requests/8/notes" <<'EOF'
[{"id": 76, "system": true, "body": "<!-- mailward-plan --> added 1 commit"},
 {"id": 77, "system": false, "body": "<!-- mailward-plan -->\n### old plan"}]
EOF
: >"$SINK_LOG"
run_job mailward-plan
[ "$RC" = 0 ] || fail "mailward-plan exited $RC"
assert_contains "$SINK_LOG" "PUT /api/v4/projects/42/merge_requests/8/notes/77"
assert_not_contains "$SINK_LOG" "POST "
# A policy denial: the note is posted, then the job fails with 3.
git -C "$T/mr" checkout -q -b deny
cat >desired/policies/strict.yaml <<'EOF'
name: strict
rules:
  - require:
      settings:
        lookback_hops: {max: 4}
EOF
commit "$T/mr" "strict"
: >"$SINK_LOG"
run_job mailward-plan
[ "$RC" = 3 ] || fail "mailward-plan (denied) exited $RC, expected 3"
assert_contains "$SINK_LOG" "PUT /api/v4/projects/42/merge_requests/8/notes/77"
jget -l "$SINK_OUT" '[-1].body' | grep -q "A policy denies this plan" || fail "denial note"

# --- merged: the apply job finds the reviewed plan ----------------------
git -C "$WORK" checkout -q main
git -C "$WORK" merge -q --no-ff -m "Merge branch 'more-hops' into 'main'" more-hops
git -C "$WORK" push -q origin main
MERGE_SHA=$(git -C "$WORK" rev-parse HEAD)
git clone -q "$ORIGIN" "$T/main"
cd "$T/main"
mkdir -p "$API/repository/commits/$MERGE_SHA"
printf '[{"iid": 7, "state": "merged", "sha": "%s"}]\n' "$HEAD_SHA" \
	>"$API/repository/commits/$MERGE_SHA/merge_requests"
echo '{"iid": 7, "head_pipeline": {"id": 1001, "status": "success"}}' >"$API/merge_requests/7"
echo '[{"id": 5004, "name": "mailward-drift"}, {"id": 5005, "name": "mailward-plan"}]' \
	>"$API/pipelines/1001/jobs"
cp "$T/mr-plan.json" "$API/jobs/5005/artifacts/plan.json"
unset CI_MERGE_REQUEST_IID CI_MERGE_REQUEST_SOURCE_BRANCH_SHA
export CI_PIPELINE_SOURCE=push CI_COMMIT_SHA=$MERGE_SHA CI_COMMIT_BRANCH=main \
	MAILWARD_REQUIRE_ANCESTOR=origin/main MAILWARD_AUDIT_LOG=audit.jsonl MAILWARD_ACTOR=alice
reset_stats
run_job mailward-apply
[ "$RC" = 0 ] || fail "mailward-apply exited $RC"
assert_contains "$ERR" "merge request !7, head $HEAD_SHA, pipeline 1001, job 5005"
assert_contains "$SINK_LOG" "?scope[]=success"
assert_contains "$OUT" "✓ updated example.net"
assert_eq "$(stats .requests.patch)" 1 "one PATCH"
assert_eq "$(jget -l audit.jsonl '[0].actor')" alice "actor"
assert_eq "$(jget -l audit.jsonl '[0].commit')" "$HEAD_SHA" "audited commit"
# Retried job: stale, nothing sent.
reset_stats
run_job mailward-apply
[ "$RC" = 4 ] || fail "re-applying exited $RC, expected 4"
assert_eq "$(stats .requests.patch)" 0 "nothing sent"

# --- refusals of gitlab-find-plan ---------------------------------------
echo '{"iid": 7, "head_pipeline": {"id": 1002, "status": "failed"}}' >"$API/merge_requests/7"
run_job mailward-apply
[ "$RC" = 1 ] || fail "failed pipeline: exit $RC"
assert_contains "$ERR" "the last pipeline of merge request !7 did not succeed"
echo '{"iid": 7, "head_pipeline": {"id": 1001, "status": "success"}}' >"$API/merge_requests/7"
sed "s/$HEAD_SHA/$(printf '%040d' 1)/" "$T/mr-plan.json" >"$API/jobs/5005/artifacts/plan.json"
run_job mailward-apply
[ "$RC" = 1 ] || fail "plan of another commit: exit $RC"
assert_contains "$ERR" "not from $HEAD_SHA; refusing"
echo '[{"iid": 6, "state": "closed", "sha": "x"}]' >"$API/repository/commits/$MERGE_SHA/merge_requests"
run_job mailward-apply
[ "$RC" = 1 ] || fail "no merged MR: exit $RC"
assert_contains "$ERR" "no merged merge request for $MERGE_SHA"
rm "$API/repository/commits/$MERGE_SHA/merge_requests"
run_job mailward-apply
[ "$RC" != 0 ] || fail "an API error was not an error"
assert_contains "$ERR" "404"

# --- "Run pipeline" on main: plan, then the manual apply of that plan ---
export CI_PIPELINE_SOURCE=web
git clone -q "$ORIGIN" "$T/web"
cd "$T/web"
: >"$SINK_LOG"
run_job mailward-plan
[ "$RC" = 0 ] || fail "mailward-plan (web) exited $RC"
assert_contains plan.md "no changes"
[ ! -s "$SINK_LOG" ] || fail "a note posted outside a merge request"
run_job mailward-apply-main-plan
[ "$RC" = 0 ] || fail "mailward-apply-main-plan exited $RC"
assert_contains "$ERR" "nothing to apply"

# --- the scheduled drift job --------------------------------------------
export CI_PIPELINE_SOURCE=schedule MAILWARD_DRIFT=1 MAILWARD_NOTIFY_URL=$SINK_URL/hooks/drift
: >"$SINK_OUT"
run_job mailward-drift
[ "$RC" = 0 ] || fail "drift (in sync) exited $RC"
api PATCH "/accounts/$ACCOUNT/email-security/settings/domains/b7e2d1c0-5a4f-4e3d-9c2b-1a0f9e8d7c6b" \
	-d '{"lookback_hops": 6}' >/dev/null
run_job mailward-drift
[ "$RC" = 2 ] || fail "drift exited $RC, expected 2"
assert_eq "$(wc -l <"$SINK_OUT")" 1 "one notification"
jget -l "$SINK_OUT" '[0].text' | grep -q "example.net: lookback_hops git 5, live 6" ||
	fail "notification: $(cat "$SINK_OUT")"

assert_not_contains "$SINK_LOG" "$TOKEN"
for f in "$T/note.md" "$T/main/audit.jsonl" "$T/mr-plan.json" "$SINK_OUT"; do
	assert_not_contains "$f" "$TOKEN"
done
assert_all_valid
echo ok
