/*
 * server: the HTTP side of the sandbox (libmicrohttpd, one thread per
 * connection). It routes requests with spec, checks credentials, applies
 * the rate limit and fault rules, validates requests, serves the state
 * under one mutex (never held while sleeping), and records stats and the
 * request log. Every API answer carries the Cloudflare envelope and the
 * cf-ray, Ratelimit, Ratelimit-Policy and Content-Type headers.
 *
 * Order of checks for a request under /client/v4: rate limit (429), route
 * (404 code 7003 / 405 code 7001), credentials (401 code 10000), fault
 * rules, validation (400), account (403 code 9109), domain (404 code 1404).
 * Requests are validated even when answered otherwise, for the log.
 *
 * /__sandbox/stats (GET) and /__sandbox/reset-stats (POST) need no
 * credentials and are not counted.
 */
#ifndef MAILWARD_SANDBOX_SERVER_H
#define MAILWARD_SANDBOX_SERVER_H

#include "faults.h"
#include "reqlog.h"
#include "spec.h"
#include "state.h"
#include "stats.h"

#include <stddef.h>
#include <stdint.h>

struct server;

/* Everything the server uses; all borrowed and must outlive the server. */
struct server_config {
	const char *listen; /* "127.0.0.1:8787", "[::1]:0", "localhost:0" */
	const char *token; /* accepted credential; NULL = any non-empty one */
	long latency_ms; /* added before every API answer */
	uint64_t seed; /* seeds cf-ray values */
	const struct spec *spec;
	struct state *state;
	struct faults *faults; /* may be NULL */
	struct ratelimit *ratelimit; /* may be NULL: nothing enforced */
	struct stats *stats;
	struct reqlog *log; /* may be NULL */
	const char *tls_cert; /* PEM; with tls_key, serve HTTPS. NULL: plain HTTP */
	const char *tls_key;
};

/*
 * Checks a --listen value: a loopback address (127.0.0.0/8, [::1] or
 * localhost) and a port 0..65535. Returns 0, or MW_EUSAGE with the message
 * in the error slot.
 */
int server_check_listen(const char *text);

/*
 * Binds and starts serving. Returns 0 and a new server in *out (stop and
 * free it with server_stop()), or MW_EUSAGE (a bad --listen), MW_EIO
 * (cannot bind or start) with the message in the error slot.
 */
int server_start(struct server **out, const struct server_config *cfg);

/*
 * The API base URL, "http(s)://127.0.0.1:PORT/client/v4" with the port
 * actually bound. Borrowed: valid until server_stop().
 */
const char *server_url(const struct server *srv);

/*
 * Stops accepting, waits for requests in progress to finish, and frees srv
 * (not the modules in its config). NULL is fine.
 */
void server_stop(struct server *srv);

#endif
