#!/usr/bin/env bash
# check_manpages.sh MAILWARD MAILWARD.1 MAILWARD.5
#
# The generated manual pages render without a warning (groff -ww, as
# `man -l` renders them, and mandoc -Tlint), and mailward(5) documents every
# setting and every policy rule that `mailward schema` knows (the same
# tables). Skipped (77) when groff or mandoc is missing, unless CI or
# MAILWARD_REQUIRE_TOOLS is set (scripts/debian-packages installs them).
set -euo pipefail
mailward=$1
shift
for tool in groff mandoc jq; do
	if ! command -v "$tool" >/dev/null; then
		if [ "${CI:-}" = true ] || [ -n "${MAILWARD_REQUIRE_TOOLS:-}" ]; then
			echo "FAIL: $tool is not installed (scripts/debian-packages)"
			exit 1
		fi
		echo "skipped: $tool is not installed"
		exit 77
	fi
done
status=0
for page in "$@"; do
	warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
	if [ -n "$warnings" ]; then
		echo "FAIL: groff warns about $page:"
		echo "$warnings"
		status=1
	fi
	# The pages carry no date, so that a build is reproducible.
	warnings=$(mandoc -Tlint -W warning "$page" 2>&1 | grep -v 'WARNING: missing date' || true)
	case $page in
	# mailward.1 is older than this test: groff's check only.
	*.1) ;;
	*)
		if [ -n "$warnings" ]; then
			echo "FAIL: mandoc -Tlint warns about $page:"
			echo "$warnings"
			status=1
		fi
		;;
	esac
done
man5=
for page in "$@"; do
	case $page in *.5) man5=$page ;; esac
done
[ -n "$man5" ] || {
	echo "FAIL: no section-5 page given"
	exit 1
}
settings=$("$mailward" schema | jq -r '.definitions | keys[] | select(. != "domain")')
rules=$("$mailward" schema --policy | jq -r '.definitions | keys[] | select(startswith("rule_"))' |
	sed 's/^rule_//')
[ "$(echo "$settings" | wc -l)" -ge 10 ] || {
	echo "FAIL: cannot read the settings from mailward schema"
	exit 1
}
for name in $settings $rules; do
	if ! grep -qxF ".B $name" "$man5"; then
		echo "FAIL: $man5 does not document '$name'"
		status=1
	fi
done
[ "$status" -eq 0 ] && echo "ok: the manual pages render cleanly; mailward(5) documents" \
	"$(echo "$settings" | wc -l) settings and $(echo "$rules" | wc -l) rules"
exit "$status"
