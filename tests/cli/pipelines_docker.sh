#!/usr/bin/env bash
# The container recipe (examples/pipelines/docker/Dockerfile), without
# docker: its facts (a build stage and a runtime stage; the runtime runs
# as a non-root user, carries the OCI labels, installs no compiler), then
# its build stage's RUN lines after COPY run here, as written, on a copy of
# the build context (the repository less what Dockerfile.dockerignore
# keeps out): mailward alone is built (no sandbox, no test suites), says
# the project version, and every library it links is in a package the
# runtime stage installs (dpkg -S, on this Debian machine).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipelines_lib.sh"

ROOT=$(cd "$EXAMPLES/.." && pwd)
DF=$PIPE/docker/Dockerfile
IGNORE=$PIPE/docker/Dockerfile.dockerignore

# --- the facts -------------------------------------------------------------
# Instructions, one a line (continuations joined).
sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$DF" | grep -vE '^[[:space:]]*(#|$)' >"$T/instr"
grep -n '^FROM ' "$T/instr" >"$T/froms"
assert_eq "$(wc -l <"$T/froms")" 2 "stages"
grep -q '^FROM [^ ]* AS build$' "$T/instr" || fail "the first stage is not named build"
last_from=$(tail -n 1 "$T/froms" | cut -d: -f1)
tail -n +"$last_from" "$T/instr" >"$T/runtime"
head -n "$((last_from - 1))" "$T/instr" >"$T/build"
# The runtime stage's user: set, and not root.
user=$(sed -n 's/^USER //p' "$T/runtime" | tail -n 1)
[ -n "$user" ] || fail "the runtime stage sets no USER (it would run as root)"
case ${user%%:*} in
0 | root) fail "the image runs as root ($user)" ;;
esac
[ "$(sed -n 's/^USER //p' "$T/runtime" | wc -l)" = 1 ] || fail "more than one USER"
# Nothing after USER runs as root (a RUN there would fail, or need root back).
if sed -n '/^USER /,$p' "$T/runtime" | grep -q '^RUN '; then fail "a RUN after USER"; fi
# The user it names is made in the image, with that uid.
if [[ ${user%%:*} =~ ^[0-9]+$ ]]; then
	grep -q "useradd .*--uid ${user%%:*} " "$T/runtime" || fail "no user with uid ${user%%:*} is made"
fi
# OCI labels.
for l in source version revision licenses title description; do
	grep -q "org.opencontainers.image.$l=\"[^\"]" "$T/runtime" || fail "no label org.opencontainers.image.$l"
done
grep -q 'org.opencontainers.image.licenses="Apache-2.0"' "$T/runtime" || fail "the licenses label"
meson_version=$(sed -n "s/^  version: '\(.*\)',/\1/p" "$ROOT/meson.build")
grep -q "^ARG VERSION=$meson_version\$" "$T/runtime" || fail "ARG VERSION is not meson's $meson_version"
# mailward alone: no sandbox, no tests; the runtime stage installs no compiler.
grep '^RUN .*meson setup' "$T/build" >"$T/setup"
assert_contains "$T/setup" "-Dsandbox=false"
assert_contains "$T/setup" "-Dtests=false"
if grep -nE '(^| )(gcc|clang|meson|ninja-build|[a-z0-9.+-]+-dev)( |$)' "$T/runtime"; then
	fail "the runtime stage installs build tools"
fi
# The build stage installs what install-mailward builds with (one list to keep).
libs=$(sed -n 's/^libs="\(.*\)"$/\1/p' "$BIN/install-mailward")
for p in gcc libc6-dev meson ninja-build pkg-config $libs; do
	grep -q "^RUN .*apt-get install.* $p\( \|$\)" "$T/build" || fail "the build stage does not install $p"
done

# --- the build stage, run here ----------------------------------------------
for p in gcc meson ninja-build pkg-config $libs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		skip "package $p is not installed"
done
# The build context: the repository less Dockerfile.dockerignore's patterns.
mkdir -p "$T/ctx"
excl=()
while read -r pat; do
	case $pat in '' | '#'*) continue ;; esac
	excl+=(--exclude="./$pat")
done <"$IGNORE"
tar -C "$ROOT" "${excl[@]}" -cf - . | tar -C "$T/ctx" -xf -
[ ! -e "$T/ctx/.git" ] || fail ".git is in the build context"
# The RUN lines after COPY . ., with /src and /build in this test's folder.
sed -n '/^COPY \. \.$/,$p' "$T/build" | sed -n 's/^RUN //p' >"$T/build.sh"
[ -s "$T/build.sh" ] || fail "no RUN after COPY . . in the build stage"
sed -i "s|/build|$T/img|g" "$T/build.sh"
# What is tested is the recipe, not the compiler: build without optimising.
(cd "$T/ctx" && CFLAGS=-O0 sh -e "$T/build.sh") >"$OUT" 2>"$ERR" || {
	tail -n 30 "$OUT" "$ERR" >&2
	fail "the build stage's RUN lines failed"
}
built=$T/img/src/cli/mailward
[ -x "$built" ] || fail "no mailward built"
[ ! -e "$T/img/src/sandbox" ] || fail "the sandbox was configured"
[ ! -e "$T/img/tests" ] || fail "the test suites were configured"
# Built without .git: the project version alone.
assert_eq "$(grep "^mailward " "$OUT" | tail -n 1)" "mailward $meson_version" "mailward version in the image"
# Every library mailward links comes from a package the runtime installs.
runtime_pkgs=$(grep '^RUN .*apt-get install' "$T/runtime")
readelf -d "$built" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' >"$T/needed"
[ -s "$T/needed" ] || fail "readelf found no NEEDED library"
while read -r so; do
	case $so in ld-linux* | libc.so.*) continue ;; esac # libc6, in every image
	path=$(ldd "$built" | awk -v so="$so" '$1 == so { print $3 }')
	[ -n "$path" ] || fail "ldd does not resolve $so"
	pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n 1 | cut -d: -f1) ||
		pkg=$(dpkg -S "$path" | head -n 1 | cut -d: -f1)
	[ -n "$pkg" ] || pkg=$(dpkg -S "$path" | head -n 1 | cut -d: -f1)
	case $pkg in libc6) continue ;; esac
	grep -q " $pkg\( \|$\)" <<<"$runtime_pkgs" || fail "mailward links $so ($pkg): the runtime stage does not install $pkg"
done <"$T/needed"
echo ok
