#include "apply.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/fields.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

const char *apply_outcome_name(enum apply_outcome o)
{
	switch (o) {
	case APPLY_DONE:
		return "applied";
	case APPLY_GONE:
		return "already_gone";
	case APPLY_FAILED:
		return "failed";
	case APPLY_NOT_SENT:
		return "not_sent";
	case APPLY_PENDING:
		break;
	}
	return "pending";
}

size_t apply_items_new(struct apply_item **out, const struct plan *plan)
{
	struct apply_item *items = xcalloc(plan->nr + 1, sizeof(*items));
	size_t n = 0;

	for (size_t i = 0; i < plan->nr; i++) {
		const struct plan_change *c = &plan->changes[i];

		if (c->action == PLAN_MISSING)
			continue;
		items[n].change = c;
		items[n].op.method = c->action == PLAN_UPDATE ? API_PATCH : API_DELETE;
		items[n].op.domain_id = c->id;
		items[n].op.body = c->action == PLAN_UPDATE ? c->body : NULL;
		items[n].op.user = &items[n];
		n++;
	}
	*out = items;
	return n;
}

void apply_items_free(struct apply_item *items, size_t n)
{
	if (!items)
		return;
	for (size_t i = 0; i < n; i++) {
		json_decref(items[i].live);
		json_decref(items[i].after);
		free(items[i].error);
		api_op_release(&items[i].op);
	}
	free(items);
}

void apply_attach_live(struct apply_item *items, size_t n, const struct live *live)
{
	for (size_t i = 0; i < n; i++) {
		const struct live_domain *ld = live_find_id(live, items[i].change->id);

		json_decref(items[i].live);
		items[i].live = ld ? live_domain_json(ld) : NULL;
	}
}

/* --- applying ---------------------------------------------------------- */

/* A PATCH is done when the answer shows every value the plan sent. */
static void verify_update(struct apply_item *it)
{
	const json_t *result = it->op.result;
	struct buf why = BUF_INIT;
	const char *name;
	json_t *want;

	if (!json_is_object(result)) {
		it->outcome = APPLY_FAILED;
		it->error = xstrdup("the API answered success without the updated domain");
		return;
	}
	it->after = json_incref((json_t *)result);
	json_object_foreach(it->change->body, name, want) {
		const struct field *f = fields_find(name);
		json_t *got = json_object_get(result, name);

		if (f && fields_equal(f, want, got))
			continue;
		buf_printf(&why, "%s%s is ", why.len ? "; " : "", name);
		fields_format_value(&why, got);
		buf_puts(&why, ", not ");
		fields_format_value(&why, want);
	}
	if (why.len) {
		it->outcome = APPLY_FAILED;
		it->error = xasprintf("the API answered success but did not apply the plan: %s",
				      why.ptr);
	} else {
		it->outcome = APPLY_DONE;
	}
	buf_release(&why);
}

/* One batch's state: once stopped (a hook refused), nothing more is sent. */
struct run_state {
	const struct apply_hooks *hooks;
	bool stopped;
};

static int op_before_send(struct api_op *op, void *ctx)
{
	struct run_state *st = ctx;

	if (st->stopped)
		return -1;
	if (st->hooks && st->hooks->before_send &&
	    st->hooks->before_send(op->user, st->hooks->ctx) != 0)
		st->stopped = true;
	return st->stopped ? -1 : 0;
}

static void op_done(struct api_op *op, void *ctx)
{
	struct run_state *st = ctx;
	struct apply_item *it = op->user;

	if (op->req.not_sent) {
		it->outcome = APPLY_NOT_SENT;
		it->error = xstrdup(st->stopped ? "not sent: stopped after a failure to record"
						: "not sent: interrupted");
	} else if (op->ok) {
		if (op->method == API_PATCH)
			verify_update(it);
		else
			it->outcome = APPLY_DONE;
	} else if (op->method == API_DELETE && op->req.status == 404) {
		it->outcome = APPLY_GONE;
	} else {
		it->outcome = APPLY_FAILED;
		it->error = xstrdup(op->message ? op->message : "failed");
	}
	/* A record could not be kept: the next before_send refuses, so nothing more starts. */
	if (st->hooks && st->hooks->finished && st->hooks->finished(it, st->hooks->ctx) != 0)
		st->stopped = true;
}

int apply_run(struct api *api, struct apply_item *items, size_t n, const struct apply_hooks *hooks)
{
	struct api_op **ops = xcalloc(n + 1, sizeof(*ops));
	struct run_state st = { hooks, false };
	struct api_hooks ah = { op_before_send, op_done, &st };
	int rc;

	for (size_t i = 0; i < n; i++) {
		items[i].outcome = APPLY_PENDING;
		items[i].intent_seq = 0;
		ops[i] = &items[i].op;
	}
	rc = api_run_hooks(api, ops, n, &ah);
	free(ops);
	return rc;
}
