#!/usr/bin/env zsh
# zsh_complete.zsh COMPLETION_FILE LINE...
#
# Print the words zsh's completion system offers for each LINE (as if TAB
# were pressed at its end) with COMPLETION_FILE loaded as the completion of
# mailward: one "N<TAB>word" line per word, N the LINE's number from 1. One
# interactive zsh without rc files runs on a pseudo-terminal (zsh/zpty); its
# compadd is wrapped to print every match, a marker line follows each
# completion, and ^U clears the line for the next one. Exit 2 when the shell
# did not answer.
emulate -L zsh
zmodload zsh/zselect && zmodload zsh/zpty || { print -u2 "zsh_complete: the zsh/zpty module is missing"; exit 2 }
file=$1
shift
tmp=$(mktemp -d) || exit 2
trap 'rm -rf -- $tmp; zpty -d mwc 2>/dev/null' EXIT
mkdir $tmp/fpath
cp -- $file $tmp/fpath/_mailward
cat >$tmp/setup.zsh <<SETUP
PROMPT= RPROMPT= PS2=
# Only the completion system's own functions and ours: compinit is quicker,
# and no other completion for mailward can answer instead of ours.
fpath=($tmp/fpath \${(M)fpath:#*/Completion(|/Base|/Unix|/Zsh)})
autoload -Uz compinit
compinit -u -D
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
zstyle ':completion:*' menu no
compadd() {
	# -O, -A and -D only collect matches for the caller: not offered.
	if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then
		builtin compadd "\$@"
		return
	fi
	local -a __mw_hits
	builtin compadd -A __mw_hits "\$@"
	local h
	for h in \$__mw_hits; do
		print -r -- "MWHIT:\$h"
	done
	builtin compadd "\$@"
}
mw-complete() {
	zle complete-word
	print -r -- MWEND
}
zle -N mw-complete
bindkey '^I' mw-complete
print -r -- MWREADY
SETUP
zpty mwc zsh -f -i
zpty -w mwc "source ${(q)tmp}/setup.zsh"
ready=0 out=
repeat 200; do
	if zpty -rt mwc out 2>/dev/null; then
		if [[ $out == MWREADY* ]]; then ready=1; break; fi
	else
		zselect -t 2
	fi
done
(( ready )) || { print -u2 "zsh_complete: the shell did not start"; exit 2 }
integer n=0
for line in "$@"; do
	(( n++ ))
	zpty -w -n mwc "$line"$'\t'
	typeset -a hits=()
	done_=0
	repeat 600; do
		if zpty -rt mwc out 2>/dev/null; then
			out=${out//$'\r'/}
			out=${out%$'\n'}
			case $out in
			(*MWHIT:*) hits+=(${out#*MWHIT:}) ;;
			(*MWEND*) done_=1; break ;;
			esac
		else
			zselect -t 2
		fi
	done
	(( done_ )) || { print -u2 "zsh_complete: no completion for: $line"; exit 2 }
	for h in ${(u)hits}; do
		print -r -- "$n"$'\t'"$h"
	done
	zpty -w -n mwc $'\C-u'
done
zpty -w mwc 'exit'
