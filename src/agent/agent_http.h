/*
 * agent_http: the agent's HTTP endpoints (libmicrohttpd, its own thread).
 *
 *   GET  /metrics    Prometheus text (agent_metrics.c)
 *   GET  /healthz    200 while the process serves
 *   GET  /readyz     200 when a cycle succeeded within the ready window, else 503
 *   GET  /status     the last cycle as JSON
 *   POST /hooks/git  202 and a cycle at once for a verified webhook, else 401;
 *                    413 past AGENT_HOOK_MAX_BODY; 404 without a secret
 *
 * Anything else is 404, or 405 for a known path with another method. Every
 * handler reads the shared state under its lock and never writes a request's
 * strings to the log.
 */
#ifndef MW_AGENT_AGENT_HTTP_H
#define MW_AGENT_AGENT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/agent_state.h"

/* The largest webhook body accepted. */
#define AGENT_HOOK_MAX_BODY (1024 * 1024)

struct agent_http;

/*
 * Parse --listen's "ADDR:PORT" (an IPv4 address, or [IPv6]:PORT; "localhost"
 * for 127.0.0.1) into `addr` (a struct sockaddr_storage) and `*len`. Fails
 * with MW_EUSAGE.
 */
int agent_http_parse_listen(void *addr, unsigned *len, const char *spec);

/*
 * Start serving on the address parsed by agent_http_parse_listen(), with
 * `sh` (borrowed, for the server's life). Fails with MW_ECONFIG when the
 * address cannot be bound. The port bound goes to `*port` (port 0 asks the
 * system for one).
 */
int agent_http_start(struct agent_http **out, unsigned short *port, const void *addr, unsigned len,
		     struct agent_shared *sh);

/* Stop accepting; let requests in flight finish or time out; free. NULL is fine. */
void agent_http_stop(struct agent_http *h);

enum agent_hook_kind { AGENT_HOOK_GITHUB, AGENT_HOOK_GITLAB };

/*
 * Verify a webhook: GitHub's `github_sig` ("sha256=" and 64 hex digits, the
 * HMAC-SHA256 of the raw `body` with the secret) when given, else GitLab's
 * `gitlab_token` (equal to the secret). Comparisons take constant time
 * (CRYPTO_memcmp). Returns 0 and the kind in `*kind` when it matches, else
 * -1 with a short reason (no request data in it) in `*why`.
 */
int agent_hook_verify(enum agent_hook_kind *kind, const char **why, const char *secret,
		      size_t secret_len, const void *body, size_t body_len, const char *github_sig,
		      const char *gitlab_token);

#endif
