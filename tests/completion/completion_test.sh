#!/usr/bin/env bash
# completion_test.sh zsh|fish COMPLETION_FILE MAILWARD
#
# Load the generated completion in the real shell and check what it offers
# against the binary's own --help (the same tables): every command, and for
# each command exactly the long options its --help lists; the values of the
# options that have a fixed list; files and command names as arguments. A
# command or an option missing from the completion fails here.
# Skipped (77) when the shell is not installed, unless CI or
# MAILWARD_REQUIRE_TOOLS is set (CI installs it: scripts/debian-packages).
set -euo pipefail
shell=$1
file=$(realpath "$2")
mailward=$(realpath "$3")
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v "$shell" >/dev/null; then
	if [ "${CI:-}" = true ] || [ -n "${MAILWARD_REQUIRE_TOOLS:-}" ]; then
		echo "FAIL: $shell is not installed (scripts/debian-packages)"
		exit 1
	fi
	echo "skipped: $shell is not installed"
	exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/mailward-completion.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir "$T/files"
touch "$T/files/plan.json" "$T/files/other.yaml"
failures=0

# The checks: LINES[i] must offer exactly the words WANTS[i].
LINES=()
WANTS=()
expect() {
	LINES+=("$1")
	WANTS+=("$(printf '%s\n' $2 | LC_ALL=C sort -u)")
}

# "N<TAB>word" for every word offered for LINES[N-1], N from 1.
offered_all() {
	local i
	case $shell in
	zsh) (cd "$T/files" && timeout 120 zsh -f "$here/zsh_complete.zsh" "$file" "${LINES[@]}") ;;
	fish)
		for i in "${!LINES[@]}"; do
			(cd "$T/files" && timeout 30 fish --no-config -c 'source $argv[1]; complete -C $argv[2]' \
				"$file" "${LINES[$i]}") | cut -f1 | sed "s/^/$((i + 1))\t/"
		done
		;;
	esac
}

commands=$("$mailward" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p')
[ "$(echo "$commands" | wc -l)" -ge 10 ] || {
	echo "FAIL: cannot read the commands from mailward --help"
	exit 1
}
expect "mailward " "$commands"
expect "mailward pl" "plan"
expect "mailward sch" "schema"
for c in $commands; do
	flags=$("$mailward" "$c" --help | grep -oE '^  (-[a-zA-Z], )?--[a-z0-9-]+' |
		grep -oE -- '--[a-z0-9-]+')
	expect "mailward $c --" "$flags"
done
expect "mailward plan --format " "text json markdown"
expect "mailward drift --fo" "--force --format"
expect "mailward import --format " "yaml state"
expect "mailward audit --format " "text json"
expect "mailward agent --log-format " "text json"
expect "mailward schema --p" "--policy"
expect "mailward help " "$commands"
expect "mailward help dr" "drift"
expect "mailward audit " "verify log"
expect "mailward show " "plan.json other.yaml"
expect "mailward plan --out pl" "plan.json"

offered_all >"$T/offered" || {
	echo "FAIL [$shell]: the shell did not answer"
	exit 1
}
for i in "${!LINES[@]}"; do
	got=$(awk -F '\t' -v n=$((i + 1)) '$1 == n { print $2 }' "$T/offered" | LC_ALL=C sort -u)
	if [ "$got" != "${WANTS[$i]}" ]; then
		echo "FAIL [$shell]: '${LINES[$i]}' offers (< missing, > extra):"
		diff <(echo "${WANTS[$i]}") <(echo "$got") | sed -n 's/^[<>] /  &/p'
		failures=$((failures + 1))
	fi
done
if [ "$failures" -ne 0 ]; then
	echo "$failures completion check(s) failed in $shell"
	exit 1
fi
echo "ok: $shell completes $(echo "$commands" | wc -l) commands and their options"
