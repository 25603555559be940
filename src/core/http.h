/*
 * http: concurrent HTTP requests with retries and a client-side rate limit.
 *
 * The only module that includes curl.h. A batch of requests runs through
 * libcurl's multi interface with at most `concurrency` in flight, each start
 * taking a token from a bucket that refills at `rate` per second (2% less,
 * so that no one-second window seen by the server holds more than `rate`)
 * and holds at most max(1, rate) tokens (it starts with one, so the first
 * second carries no burst); and, since a bucket filled during a pause would
 * let nearly 2R through in one second, no more than max(1, floor(rate))
 * requests start within any window of that many 1/rate seconds. 429 answers pause every request
 * until Retry-After; 5xx answers and transport failures are retried with exponential backoff and
 * jitter, at most `retries` times. Every other answer is final and goes to the caller as it came:
 * this module knows nothing of the API's JSON.
 *
 * Every wait is bounded. An attempt lasts at most `timeout_ms`. A request's
 * time budget is timeout_ms x (retries + 1), counted from its first
 * attempt: a Retry-After that asks for more than what is left of it makes
 * the request final at once (status 429, the reason in `error`) instead of
 * a wait that outlives the run's --timeout. An answer is read up to
 * HTTP_MAX_RESPONSE_BYTES once decoded (gzip included), then refused.
 */
#ifndef MW_CORE_HTTP_H
#define MW_CORE_HTTP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* The largest answer kept, counted after decoding; a list page is a few MB. */
#define HTTP_MAX_RESPONSE_BYTES (32u << 20)

struct http_opts {
	int concurrency; /* requests in flight at most; >= 1 */
	double rate; /* request starts per second; 0: no limit */
	int retries; /* further attempts after a retryable failure */
	long timeout_ms; /* per attempt, whole transfer */
	const char *ca_file; /* a trust anchor added to the system's; NULL: none */
	const char *const *headers; /* NULL-terminated "Name: value" lines sent with
				       every request (credentials: never logged) */
	/* Called with one line per finished attempt when not NULL (--verbose). */
	void (*trace)(void *ctx, const char *line);
	void *trace_ctx;
};

/*
 * One request. The caller fills the first group and owns those strings;
 * http_run() fills the second.
 */
struct http_req {
	const char *method;
	const char *url;
	const char *body; /* NULL for none; sent as application/json */
	size_t body_len;
	void *user;

	long status; /* final HTTP status; 0 when no answer was received */
	struct buf response; /* body of the final answer */
	char cf_ray[96]; /* the answer's cf-ray header, "" when absent */
	char error[256]; /* transport failure of the last attempt, or why an answer
			    (`status` set) was not waited out; "" when none */
	int attempts;
	bool not_sent; /* interrupted before it was ever sent */
};

struct http_stats {
	size_t attempts; /* requests put on the wire */
	size_t retries; /* of which were retries */
	size_t rate_limited; /* 429 answers received */
};

struct http_client;

/*
 * Set by a signal handler to stop starting requests: what is in flight
 * finishes, what was not started comes back with `not_sent` set.
 */
extern volatile sig_atomic_t http_interrupted;

/* A new client (free with http_client_free()); copies what it keeps of `opts`. */
int http_client_new(struct http_client **out, const struct http_opts *opts);
void http_client_free(struct http_client *c);

/*
 * Run `n` requests to completion. `done`, when not NULL, is called on this
 * thread once per request, as each finishes, in completion order; nothing
 * else happens while it runs, so it may write a record and flush it before
 * the next result is taken. Returns 0, or a negative code when the batch
 * could not be run at all (libcurl setup failure). Per-request failures are
 * in each request's fields.
 */
int http_run(struct http_client *c, struct http_req **reqs, size_t n,
	     void (*done)(struct http_req *req, void *ctx), void *ctx);

/*
 * http_run() with a hook called just before each request is first put on
 * the wire (not before its retries). When `before_send` returns non-zero,
 * that request is not sent and the batch stops: nothing more starts (nor
 * retries), what is in flight finishes, the rest comes back `not_sent`.
 * A per-batch stop: http_interrupted stays for signals.
 */
struct http_hooks {
	int (*before_send)(struct http_req *req, void *ctx);
	void (*done)(struct http_req *req, void *ctx);
	void *ctx;
};
int http_run_hooks(struct http_client *c, struct http_req **reqs, size_t n,
		   const struct http_hooks *hooks);

/*
 * Called from http_run()'s `done` callback: end that http_run() now.
 * Requests in flight are aborted, those not started are not; neither is
 * passed to `done`, and each comes back with status 0, `error`
 * "cancelled" (and `not_sent` when never sent).
 */
void http_cancel(struct http_client *c);

/* What the client has done so far. */
void http_client_stats(const struct http_client *c, struct http_stats *out);

/* Release what http_run() put into `req` so it can be run again. */
void http_req_reset(struct http_req *req);

/*
 * Check an API base URL: http or https, no credentials, query or fragment
 * in it, and plain http only to a loopback host (localhost, 127.0.0.0/8,
 * [::1]). Writes the URL without trailing slashes to `out`. Returns 0, or
 * MW_ECONFIG with the reason in the error slot.
 */
int http_check_base_url(struct buf *out, const char *url);

/*
 * Check a webhook URL the same way, except that a query is allowed (some
 * webhooks carry their key there). Writes it to `out` unchanged.
 */
int http_check_webhook_url(struct buf *out, const char *url);

/* Whether `host` is localhost, in 127.0.0.0/8 or [::1]: where plain http may go. */
bool http_loopback_host(const char *host);

/*
 * The origin of `url` (scheme://host..., any scheme, no userinfo): scheme
 * and host in lower case and the port, the scheme's default when not given
 * (empty when libcurl knows none), appended to `out` as "scheme://host:port".
 * `*loopback` (may be NULL) says whether the host is loopback. Returns 0,
 * or MW_ECONFIG when libcurl cannot parse it.
 */
int http_url_origin(struct buf *out, const char *url, bool *loopback);

/* `s` with its %XX escapes decoded (a new string, owned by the caller). */
char *http_unescape(const char *s);

/* Percent-encode `s` for a URL path segment or query value, appending to `out`. */
void http_escape(struct buf *out, const char *s);

/* libcurl's version and TLS library, for `mailward version`. Static. */
const char *http_library_version(void);

#endif
