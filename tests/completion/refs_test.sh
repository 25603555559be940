#!/usr/bin/env bash
# refs_test.sh bash|zsh|fish COMPLETION_FILE
#
# Ref names come from a repository, which an attacker may have written:
# git allows '$', '(', ')', '{', '}' and '`' in them. Completing --ref
# must offer such a name as it is and never run it: a branch named
# '$(touch${IFS}PWNED)' must not create PWNED.
# Skipped (77) when the shell is not installed, unless CI or
# MAILWARD_REQUIRE_TOOLS is set.
set -euo pipefail
shell=$1
file=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v "$shell" >/dev/null || ! command -v git >/dev/null; then
	if [ "${CI:-}" = true ] || [ -n "${MAILWARD_REQUIRE_TOOLS:-}" ]; then
		echo "FAIL: $shell or git is not installed (scripts/debian-packages)"
		exit 1
	fi
	echo "skipped: $shell or git is not installed"
	exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/mailward-refs.XXXXXX")
trap 'rm -rf "$T"' EXIT
# shellcheck disable=SC2016 # the names are literal: that is the attack
evil=('$(touch${IFS}PWNED)' '`touch${IFS}PWNED2`' '${PWD}x')
git -C "$T" init -q
git -C "$T" -c user.name=t -c user.email=t@example.invalid commit -q --allow-empty -m x
for b in "${evil[@]}"; do
	git -C "$T" branch "$b"
done

line="mailward plan --ref "
case $shell in
bash)
	# shellcheck disable=SC2016 # expanded by the inner bash
	offered=$(cd "$T" && timeout 30 bash --norc --noprofile -c '
		source "$1"
		COMP_LINE=$2 COMP_POINT=${#2}
		read -ra COMP_WORDS <<<"$2"
		COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_mailward mailward "" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' bash "$file" "$line")
	;;
zsh)
	offered=$(cd "$T" && timeout 120 zsh -f "$here/zsh_complete.zsh" "$file" "$line" | cut -f2)
	;;
fish)
	# shellcheck disable=SC2016 # expanded by fish
	offered=$(cd "$T" && timeout 30 fish --no-config -c 'source $argv[1]; complete -C $argv[2]' \
		"$file" "$line" | cut -f1)
	;;
esac

failures=0
for f in PWNED PWNED2; do
	if [ -e "$T/$f" ]; then
		echo "FAIL [$shell]: completing '$line' ran a command from a ref name (made $f)"
		failures=$((failures + 1))
	fi
done
for b in "${evil[@]}" HEAD; do
	# zsh shows a name as it would be typed: with its specials quoted.
	if ! grep -qxF -e "$b" -e "$(printf '%q' "$b")" <<<"$offered"; then
		echo "FAIL [$shell]: '$line' does not offer the ref '$b'; it offers:"
		printf '  %s\n' "$offered"
		failures=$((failures + 1))
	fi
done
[ "$failures" -eq 0 ] || exit 1
echo "ok: $shell offers hostile ref names as they are and runs none"
