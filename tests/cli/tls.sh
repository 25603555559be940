#!/usr/bin/env bash
# TLS: certificates are always verified; --ca-file adds a trust anchor (it
# does not replace the system's); a certificate for another name is refused
# even with its CA trusted; a missing --ca-file is an error before any
# request. The sandbox serves HTTPS with a test CA made here.
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || { echo "openssl not installed: skipped"; exit 77; }
cd "$T"
mkcert() { # NAME SAN: a server key and certificate signed by the test CA
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
		-out "$1.csr" -subj "/CN=$1" 2>/dev/null
	printf 'subjectAltName=%s\n' "$2" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" \
		-days 2 -extfile "$1.ext" 2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
	-out ca.pem -days 2 -subj "/CN=mailward test CA" 2>/dev/null
mkcert good "IP:127.0.0.1,DNS:localhost"
SANDBOX_CA=$T/ca.pem
mkcert wrong "DNS:not-this-host.example"

sandbox_start "$EXAMPLES/live-state.json" --tls-cert "$T/good.pem" --tls-key "$T/good.key"
case $MAILWARD_API_URL in https://127.0.0.1:*) ;; *) fail "the sandbox did not serve https" ;; esac
demo_repo

# Not trusted: refused, not retried, nothing planned.
expect_exit 1 plan --retries 3 --out "$T/plan.json"
assert_contains "$ERR" "SSL certificate problem"
assert_contains "$ERR" "after 1 attempt"
[ ! -e "$T/plan.json" ] || fail "a plan was written over an untrusted connection"
assert_eq "$(stats .requests.total)" 0 "requests that reached the API untrusted"

# Trusted through --ca-file: works, and the plan applies over TLS.
expect_exit 2 plan --ca-file "$T/ca.pem" --out "$T/plan.json"
expect_exit 0 apply "$T/plan.json" --ca-file "$T/ca.pem"
assert_contains "$OUT" "Apply: 3 updated, 1 deleted"

# The CA trusted, but the certificate names another host: refused.
sandbox_start "$EXAMPLES/live-state.json" --tls-cert "$T/wrong.pem" --tls-key "$T/wrong.key"
expect_exit 1 plan --ca-file "$T/ca.pem"
assert_contains "$ERR" "SSL: no alternative certificate subject name matches"

# A --ca-file that cannot be read: an error before any request.
expect_exit 1 plan --ca-file "$T/missing.pem"
assert_contains "$ERR" "--ca-file"
assert_contains "$ERR" "missing.pem"

# http:// is for loopback only; https is fine anywhere (nothing is sent here).
expect_exit 1 plan --api-url http://api.example.com/client/v4
assert_contains "$ERR" "plain http"
echo ok
