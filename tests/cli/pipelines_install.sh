#!/usr/bin/env bash
# How the CI examples install mailward (bin/install-mailward), run as the
# files say: every example pins the same 40-hex MAILWARD_COMMIT (no tag that
# may not exist); the GitHub workflows' "Cache key of the mailward build"
# and "Install mailward" steps, taken from the workflow file, build that
# commit from a clone of this repository into the cached prefix with the
# workflow's env and a runner's ImageOS/ImageVersion; a second job on the
# same image is a cache hit that installs nothing (no apt-get, no
# compiler); another image or commit is another key and no reuse; GitLab's
# before_script line puts the cached build on PATH. A commit that is not
# 40-hex, no URL and a missing package are refused.
#
# apt-get, sudo and dpkg-query are stand-ins that record what would be
# installed (tests use no network). Skipped when the source is not a git
# repository holding the pinned commit (a shallow clone), or when a package
# the build needs is not installed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipelines_lib.sh"

SRC=$(cd "$EXAMPLES/.." && pwd)
GH=$PIPE/github
GITLAB=$PIPE/gitlab/mailward.gitlab-ci.yml

# --- one pinned commit everywhere ---------------------------------------
COMMIT=
for f in "$GH"/*.yml "$GITLAB"; do
	c=$(sed -n 's/^ *MAILWARD_COMMIT: *\([^ ]*\) *$/\1/p' "$f")
	[[ $c =~ ^[0-9a-f]{40}$ ]] || fail "$f: MAILWARD_COMMIT '$c' is not a 40-hex commit"
	[ -z "$COMMIT" ] || [ "$c" = "$COMMIT" ] || fail "$f pins $c, another file $COMMIT"
	COMMIT=$c
	if grep -n 'MAILWARD_VERSION' "$f"; then fail "$f still sets MAILWARD_VERSION"; fi
	# The cache key names the commit (GitLab: and the image it runs).
	grep -q 'install-mailward --cache-key\|key: mailward-bookworm-\$MAILWARD_COMMIT' "$f" ||
		fail "$f: the cache key does not come from install-mailward --cache-key"
done
if grep -n 'v0\.1\.0' "$GH"/*.yml "$GITLAB" "$BIN/install-mailward"; then
	fail "a tag that does not exist is still named"
fi

# --- stand-ins for apt-get, sudo and dpkg-query -------------------------
# dpkg-query says nothing is installed, so that the installer asks apt-get
# for everything it would need on a fresh runner; apt-get records it.
mkdir -p "$T/standin"
cat >"$T/standin/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$T/apt.log"
EOF
printf '#!/bin/sh\nexit 1\n' >"$T/standin/dpkg-query"
printf '#!/bin/sh\nexec "$@"\n' >"$T/standin/sudo"
chmod +x "$T/standin/"*
: >"$T/apt.log"

# --- refusals (quick, before any build) ----------------------------------
for bad in v0.1.0 HEAD 1a2b3c4 "$(printf '%040d' 0)X" ""; do
	PATH=$T/standin:$PATH MAILWARD_COMMIT=$bad MAILWARD_GIT_URL=$SRC MAILWARD_PREFIX=$T/bad \
		expect_script 1 install-mailward
	assert_contains "$ERR" "40-hex commit"
	[ ! -e "$T/bad" ] || fail "MAILWARD_COMMIT '$bad': built something"
done
assert_eq "$(cat "$T/apt.log")" "" "apt-get before the commit was checked"
(
	unset MAILWARD_GIT_URL
	PATH=$T/standin:$PATH MAILWARD_COMMIT=$COMMIT MAILWARD_PREFIX=$T/nourl run_script install-mailward
	[ "$RC" != 0 ] || fail "install-mailward without MAILWARD_GIT_URL succeeded"
	assert_contains "$ERR" "set MAILWARD_GIT_URL"
) || exit 1
PATH=$T/standin:$PATH MAILWARD_DEB=$T/no-such.deb expect_script 1 install-mailward
assert_contains "$ERR" "no package $T/no-such.deb"

git -C "$SRC" rev-parse --verify -q HEAD >/dev/null || skip "$SRC is not a git repository"
git -C "$SRC" cat-file -e "$COMMIT^{commit}" 2>/dev/null ||
	skip "the pinned commit $COMMIT is not in $SRC (a shallow clone?)"
pkgs=$(sed -n 's/^\(tools\|libs\)="\(.*\)"$/\2/p' "$BIN/install-mailward")
[ -n "$pkgs" ] || fail "no package lists in install-mailward"
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		skip "package $p is not installed"
done

# --- the GitHub job's steps, as written ---------------------------------
# A job's folder: the checkout with the scripts in ci/mailward/.
mkdir -p "$T/job/ci" "$T/home"
cp -R "$BIN" "$T/job/ci/mailward"
cd "$T/job"
# What GitHub's hosted runner and the workflow's env set; the URL is this
# repository, the commit as the file pins it.
export HOME=$T/home ImageOS=ubuntu24 ImageVersion=20261124.1 MAILWARD_GIT_URL=$SRC \
	MAILWARD_COMMIT=$COMMIT GITHUB_OUTPUT=$T/output GITHUB_PATH=$T/ghpath
# What is tested is the script, not the compiler: build without optimising
# (meson puts CFLAGS after --buildtype's -O3): about half the time.
export CFLAGS=-O0
PATH_SAVED=$PATH
export PATH=$T/standin:$PATH
: >"$GITHUB_OUTPUT"
run_step "$GH/mailward-plan.yml" "Cache key of the mailward build"
[ "$RC" = 0 ] || fail "the cache key step exited $RC: $(cat "$ERR")"
KEY="mailward-ubuntu24-20261124.1-$COMMIT"
assert_eq "$(cat "$GITHUB_OUTPUT")" "key=$KEY" "the cache key: image and commit"
for wf in mailward-apply.yml mailward-drift.yml; do
	assert_eq "$(step_run "$GH/$wf" "Cache key of the mailward build")" \
		"$(step_run "$GH/mailward-plan.yml" "Cache key of the mailward build")" "$wf's cache key step"
	assert_eq "$(step_run "$GH/$wf" "Install mailward")" \
		"$(step_run "$GH/mailward-plan.yml" "Install mailward")" "$wf's install step"
done
grep -q 'key: \${{ steps.mailward-key.outputs.key }}' "$GH/mailward-plan.yml" ||
	fail "the cache does not use the computed key"
grep -q 'path: ~/.local/mailward' "$GH/mailward-plan.yml" || fail "the cache holds another folder"

# A cache miss: the build.
: >"$GITHUB_PATH"
run_step "$GH/mailward-plan.yml" "Install mailward"
[ "$RC" = 0 ] || fail "the install step exited $RC: $(tail -n 20 "$ERR")"
assert_eq "$(cat "$GITHUB_PATH")" "$HOME/.local/mailward/bin" "the bin folder added to PATH"
[ -x "$HOME/.local/mailward/bin/mailward" ] || fail "no mailward in the prefix"
assert_contains "$ERR" "mailward $(sed -n "s/^  version: '\(.*\)',/\1/p" "$SRC/meson.build")+"
assert_contains "$ERR" "${COMMIT:0:7}"
assert_contains "$T/apt.log" " gcc "
assert_contains "$T/apt.log" "libgit2-dev"
[ ! -e "$HOME/.local/mailward/bin/mailward-sandbox" ] || fail "built the sandbox"
"$HOME/.local/mailward/bin/mailward" help plan >/dev/null || fail "the installed mailward does not run"

# A cache hit (the next job, same image, same commit): nothing installed.
: >"$T/apt.log"
: >"$GITHUB_PATH"
run_step "$GH/mailward-plan.yml" "Install mailward"
[ "$RC" = 0 ] || fail "the install step (cache hit) exited $RC"
assert_contains "$ERR" "using the cached build of mailward $COMMIT"
assert_eq "$(cat "$T/apt.log")" "" "apt-get on a cache hit"
assert_eq "$(cat "$GITHUB_PATH")" "$HOME/.local/mailward/bin" "the bin folder added to PATH"

# Another runner image: another key, and the cached folder (were it
# restored by a prefix match) is not reused: a build is attempted (here
# from a URL that does not exist, to keep it short).
: >"$GITHUB_OUTPUT"
ImageVersion=20261201.3 run_step "$GH/mailward-plan.yml" "Cache key of the mailward build"
assert_eq "$(cat "$GITHUB_OUTPUT")" "key=mailward-ubuntu24-20261201.3-$COMMIT" "the key of another image"
ImageVersion=20261201.3 MAILWARD_GIT_URL=$T/nowhere run_step "$GH/mailward-plan.yml" "Install mailward"
[ "$RC" != 0 ] || fail "reused a build made on another image"
assert_not_contains "$ERR" "using the cached build"

# --- GitLab: the before_script line, on a restored cache ----------------
line=$(sed -n 's/^    - \(export PATH="\$(ci\/mailward\/install-mailward):\$PATH"\)$/\1/p' "$GITLAB")
[ -n "$line" ] || fail "$GITLAB: no install-mailward line in before_script"
grep -q 'MAILWARD_PREFIX: \$CI_PROJECT_DIR/.mailward-build' "$GITLAB" || fail "GitLab's prefix"
grep -q 'paths: \[.mailward-build/\]' "$GITLAB" || fail "GitLab caches another folder"
# The cache GitLab restores: a build of this commit on this image (the job
# image; no ImageOS there).
unset ImageOS ImageVersion
cp -R "$HOME/.local/mailward" "$T/job/.mailward-build"
printf '%s %s\n' "$COMMIT" "$(ci/mailward/install-mailward --cache-key |
	sed "s/^mailward-//; s/-$COMMIT\$//")" >"$T/job/.mailward-build/.mailward-build"
: >"$T/apt.log"
set +e
env CI_PROJECT_DIR="$T/job" MAILWARD_PREFIX="$T/job/.mailward-build" \
	bash --noprofile --norc -e -c "$line; command -v mailward" >"$OUT" 2>"$ERR"
RC=$?
set -e
[ "$RC" = 0 ] || fail "GitLab's before_script line exited $RC: $(cat "$ERR")"
assert_eq "$(cat "$OUT")" "$T/job/.mailward-build/bin/mailward" "mailward on PATH"
assert_contains "$ERR" "using the cached build of mailward $COMMIT"
assert_eq "$(cat "$T/apt.log")" "" "apt-get on a GitLab cache hit"
export PATH=$PATH_SAVED
echo ok
