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

json_t *apply_settings_of(const json_t *domain)
{
	json_t *out = json_object();

	for (size_t i = 0; i < fields_count; i++) {
		const struct field *f = &fields_table[i];
		json_t *v = json_object_get(domain, f->name);

		if ((f->flags & FIELD_WRITABLE) && v)
			json_object_set(out, f->name, v);
	}
	return out;
}

/* --- freshness --------------------------------------------------------- */

/* Ids are UUIDs (case-insensitive) or opaque strings: index them in lower case. */
static char *id_key(const char *id)
{
	char *k = xstrdup(id ? id : "");

	for (char *p = k; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return k;
}

static int refresh_by_list(struct api *api, struct apply_item *items, size_t n)
{
	json_t *all = NULL, *by_id = json_object();
	size_t i;
	json_t *d;
	int rc;

	rc = api_list_domains(api, &all, API_KEEP_SETTINGS);
	if (rc < 0)
		goto done;
	json_array_foreach(all, i, d) {
		char *k = id_key(json_string_value(json_object_get(d, "id")));

		json_object_set(by_id, k, d);
		free(k);
	}
	for (i = 0; i < n; i++) {
		char *k = id_key(items[i].change->id);

		items[i].live = json_incref(json_object_get(by_id, k));
		free(k);
	}
done:
	json_decref(all);
	json_decref(by_id);
	return rc;
}

static int refresh_by_get(struct api *api, struct apply_item *items, size_t n)
{
	struct api_op *ops = xcalloc(n + 1, sizeof(*ops));
	struct api_op **ptrs = xcalloc(n + 1, sizeof(*ptrs));
	int rc;

	for (size_t i = 0; i < n; i++) {
		ops[i].method = API_GET;
		ops[i].domain_id = items[i].change->id;
		ptrs[i] = &ops[i];
	}
	rc = api_run(api, ptrs, n, NULL, NULL);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (ops[i].ok && json_is_object(ops[i].result)) {
			items[i].live = json_incref(ops[i].result);
		} else if (ops[i].req.status == 404) {
			items[i].live = NULL;
		} else {
			rc = err_set(
				ops[i].req.status ? MW_EAPI : MW_ENET, "re-reading '%s' (%s): %s",
				items[i].change->domain, items[i].change->id,
				ops[i].message ? ops[i].message : "the answer is not a domain");
		}
	}
	for (size_t i = 0; i < n; i++)
		api_op_release(&ops[i]);
	free(ops);
	free(ptrs);
	return rc;
}

int apply_refresh(struct api *api, struct apply_item *items, size_t n, size_t live_count)
{
	size_t pages = (live_count + API_PER_PAGE_MAX - 1) / API_PER_PAGE_MAX;
	struct buf stale = BUF_INIT;
	size_t n_stale = 0;
	int rc;

	if (n == 0)
		return 0;
	if (pages < 1)
		pages = 1;
	/* Whichever costs fewer requests: a sweep of every page, or a GET each. */
	rc = n > pages ? refresh_by_list(api, items, n) : refresh_by_get(api, items, n);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct plan_change *c = items[i].change;
		char fp[HASH_HEX_SIZE];
		char *name = NULL;

		if (!items[i].live) {
			buf_printf(&stale, "\n  %s (%s): no longer exists", c->domain, c->id);
			n_stale++;
			continue;
		}
		const char *live_name = json_string_value(json_object_get(items[i].live, "domain"));

		fields_normalize_domain(&name, live_name ? live_name : "", false, NULL);
		fields_fingerprint(fp, items[i].live);
		if (strcmp(name, c->domain)) {
			buf_printf(&stale, "\n  %s (%s): the id is now domain '%s'", c->domain,
				   c->id, name);
			n_stale++;
		} else if (strcmp(fp, c->fingerprint)) {
			buf_printf(&stale, "\n  %s (%s): its settings changed since the plan",
				   c->domain, c->id);
			n_stale++;
		}
		free(name);
	}
	if (n_stale)
		rc = err_set(MW_ESTALE,
			     "the plan is stale: live state changed since it was made, so "
			     "nothing was applied; run plan again and review the new plan (%zu "
			     "domain%s):%s",
			     n_stale, n_stale == 1 ? "" : "s", stale.ptr);
	buf_release(&stale);
	return rc;
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
