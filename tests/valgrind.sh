#!/bin/sh
# Test wrapper for `meson test --setup valgrind`.
#
# Test binaries run under memcheck here. The end-to-end scripts (*.sh) are
# not worth checking themselves: they see MAILWARD_VALGRIND=1 and run every
# mailward and mailward-sandbox they start under memcheck instead
# (tests/cli/lib.sh).
case "$1" in
*.sh) exec "$@" ;;
esac
exec valgrind --quiet --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite \
	--suppressions="$(dirname "$0")/valgrind.supp" \
	--child-silent-after-fork=yes "$@"
