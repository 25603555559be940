/*
 * apply: carry out exactly a plan's operations, after checking that live
 * state is still what the plan was made from.
 *
 * apply_items_new() turns the plan's updates and deletes into items (missing
 * domains have nothing to send); the plan was verified against the live
 * state first (planner_verify()), and apply_attach_live() gives each item
 * its domain as listed then, for the records. apply_run() sends the PATCH and DELETE requests
 * concurrently, verifies each PATCH's answer against the plan's values, and hands every finished
 * item to a hook (the audit log, progress) before taking the next result. One failed operation
 * never stops the others.
 */
#ifndef MW_CORE_APPLY_H
#define MW_CORE_APPLY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/api.h"
#include "core/live.h"
#include "core/plan.h"

enum apply_outcome {
	APPLY_PENDING, /* not finished */
	APPLY_DONE, /* the API confirmed it (a PATCH also verified) */
	APPLY_GONE, /* DELETE answered 404: the domain was already gone */
	APPLY_FAILED, /* the API refused, answered garbage, or did not apply it */
	APPLY_NOT_SENT, /* interrupted, or stopped by a hook, before it was sent */
};

struct apply_item {
	const struct plan_change *change; /* borrowed from the plan */
	enum apply_outcome outcome;
	json_t *live; /* the live Domain object re-read before applying */
	json_t *after; /* update: the Domain object the API answered */
	char *error; /* why it failed, with the API's codes when given */
	long long intent_seq; /* the audit log's intent record for it; 0: none */
	struct api_op op; /* method, path, body sent, status, cf-ray, attempts */
};

/* The plan's updates and deletes as items, in plan order. */
size_t apply_items_new(struct apply_item **out, const struct plan *plan);
void apply_items_free(struct apply_item *items, size_t n);

/*
 * Set each item's `live` to its domain in `live` as a Domain object
 * (live_domain_json(): a new reference; NULL when the id is not there):
 * the "before" of the records.
 */
void apply_attach_live(struct apply_item *items, size_t n, const struct live *live);

struct apply_hooks {
	/*
	 * Called just before an item's request is first put on the wire (the
	 * write-ahead record goes here: op.path and op.body_text are set). A
	 * non-zero return keeps it unsent and stops the batch: nothing more
	 * starts, what is in flight finishes. NULL: none.
	 */
	int (*before_send)(struct apply_item *item, void *ctx);
	/*
	 * Called once per item as it finishes, in completion order, before
	 * the next result is taken. A non-zero return stops the batch the
	 * same way (the rest come back APPLY_NOT_SENT).
	 */
	int (*finished)(struct apply_item *item, void *ctx);
	void *ctx;
};

/*
 * Send every item's operation. Returns 0 when the batch ran (each item's
 * outcome says how it went), or a negative code when it could not start.
 */
int apply_run(struct api *api, struct apply_item *items, size_t n, const struct apply_hooks *hooks);

/* "applied", "already_gone", "failed", "not_sent" or "pending". */
const char *apply_outcome_name(enum apply_outcome o);

#endif
