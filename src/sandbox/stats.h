/*
 * stats: counters over the API requests the sandbox served (everything but
 * /__sandbox/...), thread-safe. The JSON form (stats_json()) is:
 *
 *   {"requests": {"total", "list", "get", "patch", "delete", "other"},
 *    "status": {"200": n, ...}, "invalid": n, "unauthorized": n,
 *    "rate_limited": n, "faults": n, "dropped": n, "max_in_any_1s": n,
 *    "avg_rate": r, "max_concurrent": n, "first_at": t, "last_at": t}
 *
 * first_at/last_at are unix seconds with fractions (null before the first
 * request); avg_rate is (total-1)/(last_at-first_at), 0 with fewer than two
 * requests or no elapsed time.
 */
#ifndef MAILWARD_SANDBOX_STATS_H
#define MAILWARD_SANDBOX_STATS_H

#include <jansson.h>
#include <stddef.h>

struct stats;

/* What the server learned about one finished request. */
struct stats_outcome {
	const char *op; /* "list", "get", "patch", "delete" or "other" */
	int status; /* HTTP status, 0 when the connection was dropped */
	int invalid; /* answered 400 by validation */
	int unauthorized; /* answered 401 */
	int rate_limited; /* answered 429 by --rate-limit */
	int fault; /* a --fault rule applied */
};

/* Zeroed statistics, owned by the caller (stats_free()). */
struct stats *stats_new(void);

/* Frees st; NULL is fine. */
void stats_free(struct stats *st);

/* Records the arrival of a request at unix time now and marks it in progress. */
void stats_begin(struct stats *st, double now);

/* Records how a request begun with stats_begin() was answered. */
void stats_finish(struct stats *st, const struct stats_outcome *o);

/* Marks a request begun with stats_begin() as no longer in progress. */
void stats_end(struct stats *st);

/* Zeroes everything but the number of requests now in progress. */
void stats_reset(struct stats *st);

/* A new JSON object of the current values (the caller owns it), or NULL. */
json_t *stats_json(struct stats *st);

/*
 * Writes stats_json() to path as pretty JSON. Returns 0, or MW_EIO (MW_ENOMEM
 * when jansson runs out of memory) with the message in the error slot.
 */
int stats_write(struct stats *st, const char *path);

#endif
