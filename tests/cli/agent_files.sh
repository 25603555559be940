#!/usr/bin/env bash
# The agent's deployment files (examples/agent/): the YAML parses; the
# manifests run one replica per account with the probes, the Secret files
# and a volume for the cache and the audit log; the systemd unit is
# hardened; and what they pass to mailward is accepted by it.
source "$(dirname "$0")/lib.sh"
: "${YAML_CHECK:?YAML_CHECK must name the yaml-check helper}"
DIR=$EXAMPLES/agent

"$YAML_CHECK" "$DIR/mailward-agent.yaml" "$DIR/prometheus.yaml" || fail "examples/agent YAML does not parse"

K=$DIR/mailward-agent.yaml
for want in 'kind: Deployment' 'replicas: 1' 'type: Recreate' 'path: /healthz' 'path: /readyz' \
	'kind: PersistentVolumeClaim' 'kind: Service' 'kind: ServiceMonitor' \
	'--token-file=/run/secrets/mailward/cloudflare-token' \
	'--webhook-secret-file=/run/secrets/mailward/webhook-secret' 'secretName: mailward-acme-corp' \
	'readOnlyRootFilesystem: true' 'runAsNonRoot: true' 'automountServiceAccountToken: false'; do
	assert_contains "$K" "$want"
done
# No credential as an environment variable or an argument: files only.
assert_not_contains "$K" "CLOUDFLARE_API_TOKEN"

U=$DIR/mailward-agent.service
for want in DynamicUser=yes ProtectSystem=strict ProtectHome=yes NoNewPrivileges=yes PrivateTmp=yes \
	StateDirectory=mailward CacheDirectory=mailward 'LoadCredential=cloudflare-token:' \
	'LoadCredential=webhook-secret:' RestrictAddressFamilies= SystemCallFilter=@system-service \
	'--token-file %d/cloudflare-token' '--webhook-secret-file %d/webhook-secret' \
	'--audit-log %S/mailward/audit.jsonl' '--cache-dir %C/mailward'; do
	assert_contains "$U" "$want"
done
assert_not_contains "$U" "CLOUDFLARE_API_TOKEN"
if command -v systemd-analyze >/dev/null 2>&1 && systemd-analyze --help 2>/dev/null | grep -q verify; then
	cp "$U" "$T/mailward-agent.service"
	sed -i "s|/usr/local/bin/mailward|$MAILWARD|" "$T/mailward-agent.service"
	systemd-analyze verify "$T/mailward-agent.service" >"$T/verify.out" 2>&1 || {
		cat "$T/verify.out" >&2
		fail "systemd-analyze verify refused the unit"
	}
fi

# Every flag the files give the agent is one it takes: --help, as each file spells them.
sed -n 's/^ *- \(--[a-z-]*\)=.*/\1/p; s/^ *- \(--[a-z-]*\)$/\1/p' "$K" | sort -u >"$T/flags"
grep -v '^#' "$U" | tr ' \t' '\n\n' | grep '^--' | sort -u >>"$T/flags"
[ -s "$T/flags" ] || fail "no flags found in the deployment files"
while read -r flag; do
	mw agent --help
	assert_contains "$OUT" "  $flag"
done <"$T/flags"
echo ok
