/*
 * api: the four Email Security domain operations of Cloudflare's API.
 *
 * Builds the URLs, sends the requests through http.c, and reads the answer
 * envelopes ({"success", "errors", "messages", "result"}). A 200 that says
 * `success: false`, a body that is not JSON and a transport failure are all
 * failures, described with the API's own codes and messages when it gave
 * them. Credentials are handed to http.c as headers and appear nowhere else.
 */
#ifndef MW_CORE_API_H
#define MW_CORE_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/http.h"
#include "core/live.h"

/* The largest page the list endpoint serves (its `per_page` maximum). */
#define API_PER_PAGE_MAX 1000
/* More pages than this (a million domains) is a broken listing. */
#define API_MAX_PAGES 1000
/*
 * More answer bytes than this in one listing (decoded, all pages; about
 * 250,000 domains of the real API) is refused, with or without a total.
 * Each page is bounded on its own by HTTP_MAX_RESPONSE_BYTES.
 */
#define API_MAX_LIST_BYTES (256u << 20)

struct api_opts {
	const char *base_url; /* checked with http_check_base_url() */
	const char *account_id; /* 32 hex digits */
	const char *token; /* Authorization: Bearer; or NULL */
	const char *email; /* X-Auth-Email, with `key` when no token */
	const char *key; /* X-Auth-Key */
	struct http_opts http; /* concurrency, rate, retries, timeout, CA, trace */
};

struct api;

enum api_method { API_GET, API_PATCH, API_DELETE };

/*
 * One operation on one domain. The caller sets the first group (and owns
 * `domain_id` and `body`); api_run() sets the rest, owned by the op until
 * api_op_release().
 */
struct api_op {
	enum api_method method;
	const char *domain_id;
	const json_t *body; /* PATCH only */
	void *user;

	struct http_req req; /* status, cf-ray, attempts; the raw answer */
	char *path; /* the request path under the base URL, for records */
	char *body_text; /* the exact bytes sent, or NULL */
	bool ok; /* success: the envelope said so */
	json_t *result; /* the envelope's `result` on success */
	json_t *errors; /* the envelope's `errors` array, or NULL */
	char *message; /* on failure: one line, with the API's codes */
};

/* A new client (api_free()). Fails with MW_ECONFIG or MW_ENET. */
int api_new(struct api **out, const struct api_opts *opts);
void api_free(struct api *a);

/* The checked base URL (no trailing slash). Borrowed. */
const char *api_base_url(const struct api *a);

/* What api_list_domains() keeps of each Domain object. */
enum api_list_keep {
	API_KEEP_SETTINGS, /* the compact model only: id, name, writable values */
	API_KEEP_ALL, /* also each whole object in `raw` (import --format state) */
};

/*
 * List every domain of the account into `*out`, a live state (live.h) that
 * the caller releases with live_release(); raw Domain objects are kept only
 * under API_KEEP_ALL. Uses per_page=1000; after the first page,
 * fetches the rest concurrently when the total is announced (parsing each
 * page as it arrives), one after the other otherwise. The first page that
 * fails for good ends the listing: no further page is started and those in
 * flight are abandoned. Fails with MW_ENET, MW_EAPI or MW_ECONSISTENCY (an
 * id seen twice, a page shorter or longer than announced, more than
 * API_MAX_PAGES pages or API_MAX_LIST_BYTES bytes): never a partial list.
 */
int api_list_domains(struct api *a, struct live *out, enum api_list_keep keep);

/*
 * Run `n` operations concurrently under the client's limits. `done` (may be
 * NULL) is called once per op as it finishes, on this thread. Returns 0
 * unless the batch could not run at all; each op says how it went.
 */
int api_run(struct api *a, struct api_op **ops, size_t n,
	    void (*done)(struct api_op *op, void *ctx), void *ctx);

/*
 * api_run() with a hook called just before each op's request is first put
 * on the wire (op->path and op->body_text are set by then). A non-zero
 * return keeps that op unsent and stops the batch (http_run_hooks()).
 */
struct api_hooks {
	int (*before_send)(struct api_op *op, void *ctx);
	void (*done)(struct api_op *op, void *ctx);
	void *ctx;
};
int api_run_hooks(struct api *a, struct api_op **ops, size_t n, const struct api_hooks *hooks);

/* Release what api_run() put into `op`. */
void api_op_release(struct api_op *op);

/* What the underlying HTTP client did. */
void api_stats(const struct api *a, struct http_stats *out);

/*
 * Read an answer's envelope. Returns 0 and a new reference to `result` in
 * `*result` on success; otherwise -1 with a one-line description in `why`
 * (the API's "code N: message" items when present) and a new reference to
 * the errors array in `*errors` when there is one (NULL allowed to ignore).
 */
int api_read_envelope(const struct http_req *req, json_t **result, json_t **errors,
		      struct buf *why);

#endif
