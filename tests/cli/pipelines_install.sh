#!/usr/bin/env bash
# bin/install-mailward, as the CI examples run it: builds mailward from a
# clone of this repository (at its committed HEAD) with meson into a
# prefix, prints the prefix's bin folder, and on the next run (a CI cache
# hit) reuses the build; a version that does not exist fails. Skipped when
# the source is not a git repository, or when a package it needs is not
# installed (it would run apt-get, and tests use no network).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipelines_lib.sh"

SRC=$(cd "$EXAMPLES/.." && pwd)
git -C "$SRC" rev-parse --verify -q HEAD >/dev/null || skip "$SRC is not a git repository"
for p in $(sed -n '/^pkgs="/,/"$/p' "$BIN/install-mailward" | tr -d '"' | sed 's/^pkgs=//'); do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		skip "package $p is not installed"
done
export MAILWARD_GIT_URL=$SRC MAILWARD_VERSION=HEAD MAILWARD_PREFIX=$T/prefix
# What is tested is the script, not the compiler: build without optimising
# (meson puts CFLAGS after --buildtype's -O3): about half the time.
export CFLAGS=-O0

expect_script 0 install-mailward
assert_eq "$(cat "$OUT")" "$T/prefix/bin" "the bin folder on stdout"
[ -x "$T/prefix/bin/mailward" ] || fail "no mailward in the prefix"
assert_contains "$ERR" "mailward $(sed -n "s/^  version: '\(.*\)',/\1/p" "$SRC/meson.build")"
assert_eq "$(cat "$T/prefix/.mailward-version")" HEAD "the version recorded for the cache"
"$T/prefix/bin/mailward" help plan >/dev/null || fail "the installed mailward does not run"

# A cache hit: no build.
expect_script 0 install-mailward
assert_contains "$ERR" "using the cached build of mailward HEAD"
assert_eq "$(cat "$OUT")" "$T/prefix/bin" "the bin folder on stdout"

# A version that does not exist: no build, an error.
MAILWARD_VERSION=no-such-tag MAILWARD_PREFIX=$T/prefix2 expect_script 1 install-mailward
[ ! -e "$T/prefix2/bin/mailward" ] || fail "built something"
# No URL and no cached build: a clear error.
(
	unset MAILWARD_GIT_URL
	MAILWARD_PREFIX=$T/prefix3 run_script install-mailward
	[ "$RC" != 0 ] || fail "install-mailward without MAILWARD_GIT_URL succeeded"
	assert_contains "$ERR" "set MAILWARD_GIT_URL"
) || exit 1
echo ok
