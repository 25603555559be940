/*
 * audit: the append-only record of what apply did.
 *
 * One JSON line per operation: when, who, which account, commit and plan
 * digest, the request (method, path, body), the API's answer (status,
 * cf-ray, outcome, error) and the domain's settings before and after. Each
 * line is written with one write(2) to a file opened O_APPEND, then
 * fsync(2)ed, before apply takes the next result: a crash loses at most the
 * operation in flight, and earlier lines are never rewritten. The file is
 * created with mode 0600. Credentials never reach it: nothing here sees them.
 */
#ifndef MW_CORE_AUDIT_H
#define MW_CORE_AUDIT_H

#include "core/apply.h"
#include "core/plan.h"

struct audit;

/* What every line of one apply run shares; borrowed for the log's life. */
struct audit_context {
	const char *actor;
	const char *run_id;
	const struct plan *plan;
};

/*
 * Open `path` for appending (created 0600 when new) into `*out`. Fails with
 * MW_EIO naming the file; the caller then sends nothing.
 */
int audit_open(struct audit **out, const char *path, const struct audit_context *ctx);

/* Append and fsync the line for `item`. Fails with MW_EIO. */
int audit_record(struct audit *a, const struct apply_item *item);

/* Close; returns MW_EIO when the close failed. NULL is fine. */
int audit_close(struct audit *a);

/* The line audit_record() writes for `item`, as JSON. A new reference. */
json_t *audit_entry(const struct audit_context *ctx, const struct apply_item *item);

#endif
