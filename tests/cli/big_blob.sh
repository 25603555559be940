#!/usr/bin/env bash
# big_blob: a document larger than the 64 MiB limit is refused by its size
# before it is read. A repository (a pull request) may hold a blob that
# compresses to almost nothing and inflates to gigabytes; reading it whole
# to learn its size could exhaust memory. Under a memory limit below the
# blob's size, the commit and the index (--staged) both give the size
# error, never an allocation failure.
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkdir -p "$R/desired"
printf 'account_id: %s\ndomains:\n  a.example.com: {lookback_hops: 2}\n' "$ACCOUNT" \
	>"$R/desired/a.yaml"
make_repo "$R"
# 400 MiB of zeros: about 400 KiB in the object database.
oid=$(head -c $((400 << 20)) /dev/zero | git -C "$R" hash-object -w --stdin)
git -C "$R" update-index --add --cacheinfo "100644,$oid,desired/big.yaml"
git -C "$R" commit -q -m big
cd "$R"

limited() {
	# memcheck and the sanitizers reserve more address space than any limit.
	if under_valgrind || [ -n "${ASAN_OPTIONS:-}" ] || ldd "$MAILWARD" | grep -q libasan; then
		mw "$@"
	else
		# shellcheck disable=SC2016 # expanded by the inner bash
		WRAP=(bash -c 'ulimit -v $((256 << 10)) && exec "$@"' limited)
		mw "$@"
		WRAP=()
	fi
}

for how in "" --staged; do
	limited validate $how
	[ "$RC" = 1 ] || fail "validate $how exited $RC, expected 1: $(cat "$ERR")"
	assert_contains "$ERR" "'desired/big.yaml' is larger than 67108864 bytes"
done
echo "ok: a blob larger than the limit is refused by its size, from the commit and the index"
