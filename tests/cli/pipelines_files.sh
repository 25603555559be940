#!/usr/bin/env bash
# The pipeline examples as files: every YAML file parses (yaml-check,
# itself checked on broken input first), every script is POSIX sh that
# passes `sh -n` (and shellcheck where installed) and is used by some
# example, every script an example runs exists, the Dockerfile installs
# packages that exist in Debian bookworm and copies files that exist, and
# examples/README.md links every example file (and only files that exist).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipelines_lib.sh"

# --- yaml-check itself ---------------------------------------------------
printf 'a: 1\nb:\n  c: [1, 2\n' >"$T/broken.yaml"
printf 'a: 1\nb:\n  c: 2\n  c: 3\n' >"$T/dup.yaml"
set +e
"$YAML_CHECK" "$T/broken.yaml" >"$OUT" 2>&1
rc=$?
set -e
assert_eq "$rc" 1 "yaml-check on a broken file"
grep -q "^$T/broken.yaml:[0-9]*:[0-9]*: " "$OUT" || fail "yaml-check prints FILE:LINE:COL: $(cat "$OUT")"
set +e
"$YAML_CHECK" "$T/dup.yaml" >"$OUT" 2>&1
rc=$?
set -e
assert_eq "$rc" 1 "yaml-check on a duplicate key"
assert_contains "$OUT" "$T/dup.yaml:4:3: duplicate key 'c'"

# --- every YAML file parses ----------------------------------------------
find "$PIPE" \( -name '*.yml' -o -name '*.yaml' \) | sort >"$T/yaml-files"
[ "$(wc -l <"$T/yaml-files")" -ge 10 ] || fail "too few YAML files: $(cat "$T/yaml-files")"
while read -r f; do
	"$YAML_CHECK" "$f" >"$OUT" 2>&1 || fail "does not parse: $(cat "$OUT")"
done <"$T/yaml-files"

# --- the scripts ----------------------------------------------------------
ls "$BIN" >"$T/scripts"
for s in $(cat "$T/scripts"); do
	f=$BIN/$s
	[ -x "$f" ] || fail "$f is not executable"
	assert_eq "$(head -n 1 "$f")" "#!/bin/sh" "$s's interpreter"
	grep -q '^set -eu$' "$f" || fail "$s does not set -eu"
	sed -n 2p "$f" | grep -q "^# $s: " || fail "$s does not start with '# $s: what it does'"
	sh -n "$f" || fail "$s: sh -n"
	if command -v dash >/dev/null; then dash -n "$f" || fail "$s: dash -n"; fi
	# Used by some example, or documented as a tool of its own.
	grep -rqF --exclude-dir=bin "$s" "$PIPE" || fail "no example uses $s"
	grep -qF "(pipelines/bin/$s)" "$EXAMPLES/README.md" || fail "examples/README.md does not link $s"
done
if command -v shellcheck >/dev/null; then
	shellcheck -s sh "$BIN"/* >"$OUT" 2>&1 || fail "shellcheck: $(cat "$OUT")"
else
	echo "note: shellcheck is not installed: the scripts are not linted"
fi
# Every ci/mailward/ script a CI file runs, and every script a unit, a
# crontab, an image or a manifest runs, is one of them.
grep -rhoE 'ci/mailward/[A-Za-z0-9_-]+' "$PIPE/github" "$PIPE/gitlab" | sort -u |
	while read -r ref; do
		[ -x "$BIN/${ref#ci/mailward/}" ] || fail "$ref is not in $BIN"
	done
for f in "$PIPE/cron/mailward-drift.cron" "$PIPE/systemd/mailward-drift.service" \
	"$PIPE/kubernetes/mailward-drift-cronjobs.yaml"; do
	grep -q 'mailward-drift' "$f" || fail "$f runs no mailward-drift"
done

# --- the Dockerfile --------------------------------------------------------
DF=$PIPE/docker/Dockerfile
assert_eq "$(grep -c '^FROM debian:bookworm-slim' "$DF")" 2 "two bookworm-slim stages"
grep -q "^USER 65532" "$DF" || fail "the image does not run as a non-root user"
assert_contains "$DF" 'ENTRYPOINT ["mailward"]'
assert_contains "$DF" "-Dtests=false"
grep -q "option('tests'" "$EXAMPLES/../meson_options.txt" || fail "meson has no 'tests' option"
# The ninja target the build stage names is the path of mailward in a build folder.
case $MAILWARD in */src/cli/mailward) ;; *) fail "mailward is not built as src/cli/mailward" ;; esac
assert_contains "$DF" "ninja -C /build src/cli/mailward"
# COPY sources (but --from=) exist in the repository, the build context.
grep '^COPY ' "$DF" | grep -v -- '--from=' | while read -r _ args; do
	set -- $args
	while [ $# -gt 1 ]; do
		[ "$1" = . ] || [ -e "$EXAMPLES/../$1" ] || fail "the Dockerfile copies $1: no such file"
		shift
	done
done
# The runtime stage installs the libraries mailward links.
for p in libcurl4 libyaml-0-2 libjansson4 libgit2-1.5 libssl3 ca-certificates git; do
	grep -qw -- "$p" "$DF" || fail "the image does not install $p"
done
# Every package it installs exists in Debian bookworm, by name (no network):
# checked when apt knows bookworm's package lists.
sed -n '/apt-get install/,/rm -rf/p' "$DF" | tr ' \\' '\n\n' |
	grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vxE 'apt-get|install|rm|&&' | sort -u >"$T/packages"
[ "$(wc -l <"$T/packages")" -ge 15 ] || fail "too few packages found in the Dockerfile: $(cat "$T/packages")"
if command -v apt-cache >/dev/null && grep -q 'VERSION_CODENAME=bookworm' /etc/os-release 2>/dev/null &&
	apt-cache show libc6 >/dev/null 2>&1; then
	# One look-up for all (it exits 0 even when some are missing: compare
	# the names it found).
	# shellcheck disable=SC2046
	apt-cache show --no-all-versions $(cat "$T/packages") 2>/dev/null |
		sed -n 's/^Package: //p' | sort -u >"$T/found"
	missing=$(comm -23 "$T/packages" "$T/found" | tr '\n' ' ')
	[ -z "$missing" ] || fail "no Debian package: $missing"
else
	echo "note: no bookworm package lists here: the Dockerfile's package names are not checked"
fi
assert_contains "$PIPE/docker/Dockerfile.dockerignore" "build*"

# --- examples/README.md ----------------------------------------------------
README=$EXAMPLES/README.md
grep -oE '\]\([^)#]+(#[^)]*)?\)' "$README" | sed -E 's/^\]\(//; s/\)$//; s/#.*//' |
	grep -vE '^(https?:|$)' | sort -u >"$T/links"
while read -r l; do
	[ -e "$EXAMPLES/$l" ] || fail "examples/README.md links $l: no such file"
done <"$T/links"
# Every example file is linked (the scripts are checked above).
(cd "$EXAMPLES" && find pipelines -type f ! -path 'pipelines/bin/*' | sort) >"$T/files"
while read -r f; do
	grep -qF "($f)" "$README" || fail "examples/README.md does not link $f"
done <"$T/files"
# Its anchors exist.
grep -oE '\]\(#[a-z0-9-]+\)' "$README" | sed -E 's/^\]\(#//; s/\)$//' | sort -u |
	while read -r a; do
		grep -iE "^#+ " "$README" | sed -E 's/^#+ //' | tr 'A-Z' 'a-z' |
			sed -E 's/[^a-z0-9 -]//g; s/ /-/g' | grep -qx "$a" || fail "no heading for #$a"
	done
# The top-level README points here.
grep -qF '(examples/README.md)' "$EXAMPLES/../README.md" || fail "README.md does not link examples/README.md"
echo ok
