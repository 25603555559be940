#!/usr/bin/env bash
# dirty_copy: the working copy is never ignored silently. When --repo is a
# local working copy and documents under --path differ from the commit read
# (modified, added, deleted, untracked), validate, plan and drift print one
# notice on stderr naming them (escaped, capped) and --worktree.
# validate --staged reads the index, and .pre-commit-hooks.yaml runs it.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R/domains/policies" "$R/other"
printf 'account_id: %s\ndomains:\n  a.example.com: {lookback_hops: 2}\n' "$ACCOUNT" >"$R/domains/a.yaml"
printf 'domains:\n  c.example.com: {}\n' >"$R/domains/c.yaml"
printf 'domains:\n  o.example.com: {}\n' >"$R/other/o.yaml"
make_repo "$R"
cd "$R"

notices() {
	grep -c 'differ.* in the working copy from commit' "$ERR" || true
}

# A clean working copy: no notice.
expect_exit 0 validate --path domains
assert_eq "$(notices)" 0 "notices for a clean working copy"

# An edit not committed: validate reads HEAD (still valid) and says so.
printf 'domains:\n  a.example.com: {lookback_hops: 99}\n' >"$R/domains/a.yaml"
expect_exit 0 validate --path domains
assert_eq "$(notices)" 1 "notices"
assert_contains "$ERR" "1 document under 'domains' differs in the working copy from commit"
assert_contains "$ERR" "'domains/a.yaml' (modified)"
assert_contains "$ERR" "--worktree"
expect_exit 1 validate --path domains --worktree
assert_contains "$ERR" "lookback_hops must be from 1 to 20, not 99"
assert_eq "$(notices)" 0 "notices with --worktree"

# Modified, untracked, deleted, in a subfolder; not what is outside --path,
# hidden, or not a document.
printf 'x: 1\n' >"$R/domains/policies/new.yml"
rm "$R/domains/c.yaml"
mkdir -p "$R/domains/.github" && printf 'on: push\n' >"$R/domains/.github/ci.yaml"
printf 'notes\n' >"$R/domains/README.md"
printf 'domains:\n  o.example.com: {lookback_hops: 4}\n' >"$R/other/o.yaml"
expect_exit 0 validate --path domains
assert_eq "$(notices)" 1 "notices"
assert_contains "$ERR" "3 documents under 'domains' differ"
assert_contains "$ERR" "'domains/a.yaml' (modified), 'domains/c.yaml' (deleted), 'domains/policies/new.yml' (untracked)"
for no in ci.yaml README other/o.yaml; do
	assert_not_contains "$ERR" "$no"
done
# The whole repository: other/o.yaml too.
expect_exit 0 validate
assert_contains "$ERR" "4 documents under '.' differ"
assert_contains "$ERR" "'other/o.yaml' (modified)"

# File names are escaped, the list capped.
touch "$R/domains/evil"$'\033[2J\r'"name.yaml"
for i in 1 2 3 4 5; do touch "$R/domains/z$i.yaml"; done
expect_exit 0 validate --path domains
assert_eq "$(notices)" 1 "notices"
LC_ALL=C grep -q $'[\001-\010\013-\037\177]' "$ERR" && fail "a raw control character on stderr"
assert_contains "$ERR" "'domains/evil\\x1b[2J\\rname.yaml' (untracked)"
assert_contains "$ERR" "and 4 more"
assert_eq "$(grep -c 'mailward: note:' "$ERR")" 1 "one notice line"

# plan and drift say it too; apply of a saved plan and --quiet do not.
sandbox_start "$EXAMPLES/live-state.json"
expect_exit 2 plan --path other --account-id "$ACCOUNT"
assert_eq "$(notices)" 1 "plan's notices"
assert_contains "$ERR" "'other/o.yaml' (modified)"
expect_exit 2 drift --path other --account-id "$ACCOUNT"
assert_eq "$(notices)" 1 "drift's notices"
expect_exit 2 drift --path other --account-id "$ACCOUNT" --quiet
assert_eq "$(notices)" 0 "drift --quiet's notices"
# apply plans from the commit too, and says so (nothing to send here: o is missing).
expect_exit 0 apply --path other --account-id "$ACCOUNT" </dev/null
assert_eq "$(notices)" 1 "apply's notices"
# A saved plan is checked against its own commit: no notice.
git stash -q
expect_exit 2 plan --path other --account-id "$ACCOUNT" --out "$T/plan.json"
git stash pop -q
expect_exit 0 apply "$T/plan.json" --path other --account-id "$ACCOUNT"
assert_eq "$(notices)" 0 "apply PLANFILE's notices"

# Compared with the commit read, whatever --ref names.
git checkout -q -- other/o.yaml
expect_exit 0 validate --path other
assert_eq "$(notices)" 0 "notices for a clean folder"
git -C "$R" stash -q -u
printf 'domains:\n  o.example.com: {lookback_hops: 5}\n' >"$R/other/o.yaml"
commit "$R" "o: 5"
expect_exit 0 validate --path other --ref HEAD~1
assert_contains "$ERR" "'other/o.yaml' (modified)"
assert_contains "$ERR" "('HEAD~1')"
git -C "$R" stash pop -q

# A bare repository has no working copy.
git clone -q --bare "$R" "$T/bare.git"
expect_exit 0 validate --repo "$T/bare.git" --path domains
assert_eq "$(notices)" 0 "notices for a bare repository"

# --staged reads the index: what is staged, not what is on disk.
git -C "$R" reset -q --hard
git -C "$R" clean -qfdx
printf 'domains:\n  a.example.com: {lookback_hops: 77}\n' >"$R/domains/a.yaml"
git -C "$R" add domains/a.yaml
printf 'domains:\n  a.example.com: {lookback_hops: 3}\n' >"$R/domains/a.yaml"
expect_exit 1 validate --staged --path domains
assert_contains "$ERR" "domains/a.yaml:2:34: lookback_hops must be from 1 to 20, not 77"
assert_eq "$(notices)" 0 "notices with --staged"
git -C "$R" add domains/a.yaml
printf 'domains: [\n' >"$R/domains/a.yaml"
expect_exit 0 validate --staged --path domains
expect_exit 1 validate --path domains --worktree
# A staged new file is read; a staged deletion is gone.
printf 'domains:\n  n.example.com: {lookback_hops: 0}\n' >"$R/domains/n.yaml"
git -C "$R" add domains/n.yaml
git -C "$R" rm -q --cached domains/c.yaml
expect_exit 1 validate --staged --path domains --format json
assert_eq "$(jget "$OUT" '.problems[0].file')" domains/n.yaml "the staged file's problem"
git -C "$R" reset -q domains/n.yaml
expect_exit 0 validate --staged --path domains --format json
assert_eq "$(jget "$OUT" .domains)" 1 "domains in the index (c.yaml's deletion staged)"
usage_line() { assert_eq "$(wc -l <"$ERR")" 1 "lines"; }
expect_exit 1 validate --staged --ref main
usage_line
assert_contains "$ERR" "--staged reads the index: it cannot be used with --ref"
expect_exit 1 validate --staged --repo "$T/bare.git"
assert_contains "$ERR" "bare repository: it has no index"
# A merge conflict in the index is refused by name.
git -C "$R" reset -q --hard
git -C "$R" checkout -q -b side
printf 'domains:\n  a.example.com: {lookback_hops: 5}\n' >"$R/domains/a.yaml"
commit "$R" side
git -C "$R" checkout -q main
printf 'domains:\n  a.example.com: {lookback_hops: 6}\n' >"$R/domains/a.yaml"
commit "$R" main
git -C "$R" merge -q side >/dev/null 2>&1 && fail "the merge did not conflict"
expect_exit 1 validate --staged --path domains
assert_contains "$ERR" "'domains/a.yaml' has an unresolved merge conflict in the index"
git -C "$R" merge --abort

# What pre-commit does with .pre-commit-hooks.yaml: on a commit that stages
# a file matching `files`, run `entry` (language: system, no file names).
HOOKS=$TESTS_DIR/../.pre-commit-hooks.yaml
"$YAML_CHECK" "$HOOKS" || fail ".pre-commit-hooks.yaml is not YAML"
assert_contains "$HOOKS" "- id: mailward-validate"
assert_contains "$HOOKS" "language: system"
assert_contains "$HOOKS" "pass_filenames: false"
entry=$(sed -n 's/^  entry: //p' "$HOOKS")
files=$(sed -n 's/^  files: //p' "$HOOKS")
assert_eq "$entry" "mailward validate --staged" "the hook's entry"
mkdir -p "$T/bin"
ln -sf "$MAILWARD" "$T/bin/mailward"
cat >"$R/.git/hooks/pre-commit" <<HOOK
#!/bin/sh
git diff --cached --name-only | grep -Eq '$files' || exit 0
cd "\$(git rev-parse --show-toplevel)" && PATH="$T/bin:\$PATH" exec $entry
HOOK
chmod +x "$R/.git/hooks/pre-commit"
printf 'domains:\n  a.example.com: {lookback_hops: 50}\n' >"$R/domains/a.yaml"
git -C "$R" add domains/a.yaml
if git -C "$R" commit -q -m "bad" 2>"$T/hook.err"; then
	fail "the pre-commit hook let an invalid document be committed"
fi
grep -qF "domains/a.yaml:2:34: lookback_hops must be from 1 to 20, not 50" "$T/hook.err" ||
	fail "the hook did not name the problem: $(cat "$T/hook.err")"
printf 'domains:\n  a.example.com: {lookback_hops: 7}\n' >"$R/domains/a.yaml"
git -C "$R" add domains/a.yaml
# What is on disk but not staged does not stop the commit.
printf 'broken: [\n' >"$R/domains/draft.yaml"
git -C "$R" commit -q -m "good" 2>"$T/hook.err" || fail "the hook refused a valid commit: $(cat "$T/hook.err")"

# The pre-commit framework itself, when installed (Debian: pre-commit), offline:
# the hooks repository is a local clone holding .pre-commit-hooks.yaml.
if command -v pre-commit >/dev/null; then
	pre-commit validate-manifest "$HOOKS" || fail "pre-commit refuses .pre-commit-hooks.yaml"
	H=$T/hooks-repo
	mkdir -p "$H"
	cp "$HOOKS" "$H/"
	make_repo "$H"
	rm "$R/.git/hooks/pre-commit"
	printf 'repos:\n- repo: %s\n  rev: %s\n  hooks:\n  - id: mailward-validate\n' \
		"$H" "$(git -C "$H" rev-parse HEAD)" >"$R/.pre-commit-config.yaml"
	git -C "$R" add .pre-commit-config.yaml
	(cd "$R" && PATH="$T/bin:$PATH" timeout 120 pre-commit install >/dev/null) ||
		fail "pre-commit install failed"
	printf 'domains:\n  a.example.com: {lookback_hops: 60}\n' >"$R/domains/a.yaml"
	git -C "$R" add domains/a.yaml
	if (cd "$R" && PATH="$T/bin:$PATH" timeout 120 git commit -q -m bad) >"$T/pc.out" 2>&1; then
		fail "pre-commit let an invalid document be committed: $(cat "$T/pc.out")"
	fi
	grep -qF "lookback_hops must be from 1 to 20, not 60" "$T/pc.out" ||
		fail "pre-commit did not show the problem: $(cat "$T/pc.out")"
	printf 'domains:\n  a.example.com: {lookback_hops: 8}\n' >"$R/domains/a.yaml"
	git -C "$R" add domains/a.yaml
	(cd "$R" && PATH="$T/bin:$PATH" timeout 120 git commit -q -m good) >"$T/pc.out" 2>&1 ||
		fail "pre-commit refused a valid commit: $(cat "$T/pc.out")"
else
	echo "pre-commit is not installed: the framework's own run is skipped" >&2
fi
