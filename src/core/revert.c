#include "revert.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "core/fields.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"

void revert_notes_release(struct revert_notes *n)
{
	if (!n)
		return;
	json_decref(n->conflicts);
	json_decref(n->not_restorable);
	n->conflicts = n->not_restorable = NULL;
}

static const char *str_of(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void note(json_t *list, const char *domain, const char *id, char *why)
{
	json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "domain", domain ? domain : "?",
					      "id", id ? id : "?", "why", why));
	free(why);
}

static int cmp_change(const void *pa, const void *pb)
{
	const struct plan_change *a = pa, *b = pb;
	int c = strcmp(a->domain, b->domain);

	return c ? c : strcmp(a->id, b->id);
}

/* What revert_update() did with one applied update. */
enum revert_outcome {
	REVERT_ADDED, /* a change that puts it back was added to the plan */
	REVERT_ALREADY_BACK, /* live already holds the settings from before */
	REVERT_NOTED, /* it cannot or may not be put back: the reason is in the notes */
};

/* The PATCH that puts one applied update back. */
static enum revert_outcome revert_update(struct plan *p, struct revert_notes *notes,
					 const json_t *rec, const struct live *live)
{
	const char *domain = str_of(rec, "domain"), *id = str_of(rec, "domain_id");
	const json_t *sent = json_object_get(rec, "request_body");
	const json_t *before = json_object_get(rec, "before");
	const json_t *after = json_object_get(rec, "after");
	const struct live_domain *ld = id ? live_find_id(live, id) : NULL;
	json_t *body = json_object(), *diff = json_array();
	struct buf why = BUF_INIT;
	struct plan_change *c;
	char fp[HASH_HEX_SIZE];
	const char *k;
	json_t *v;
	enum revert_outcome rc;

	if (!domain || !id || !json_is_object(sent) || !json_is_object(before) ||
	    !json_is_object(after)) {
		note(notes->not_restorable, domain, id,
		     xstrdup("its record lacks the request body or the settings before and after"));
		ld = NULL;
		goto none;
	}
	if (!ld) {
		note(notes->conflicts, domain, id, xstrdup("it no longer exists"));
		goto none;
	}
	json_object_foreach((json_t *)sent, k, v) {
		const struct field *f = fields_find(k);
		const json_t *old = json_object_get(before, k);
		json_t *now;

		if (!f || !old) {
			buf_printf(&why, "%s%s had no value before the run", why.len ? "; " : "",
				   k);
			continue;
		}
		now = live_domain_value(ld, f);
		if (!fields_equal(f, now, json_object_get(after, k))) {
			buf_printf(&why, "%s%s is now ", why.len ? "; " : "", k);
			fields_format_value(&why, now);
			buf_puts(&why, ", the run left ");
			fields_format_value(&why, json_object_get(after, k));
		} else if (!fields_equal(f, now, old)) {
			json_object_set(body, k, (json_t *)old);
			json_array_append_new(diff,
					      json_pack("{s:s, s:O, s:O}", "field", k, "before",
							now ? now : json_null(), "after", old));
		}
		json_decref(now);
	}
	if (why.len) {
		bool conflict = strstr(why.ptr, " is now ") != NULL;

		note(conflict ? notes->conflicts : notes->not_restorable, domain, id,
		     buf_detach(&why, NULL));
		json_decref(body);
		json_decref(diff);
		return REVERT_NOTED;
	}
	if (json_object_size(body) == 0)
		goto none;
	ARRAY_GROW(p->changes, p->nr + 1, p->alloc);
	c = &p->changes[p->nr++];
	memset(c, 0, sizeof(*c));
	c->action = PLAN_UPDATE;
	c->domain = xstrdup(domain);
	c->id = xstrdup(ld->id);
	c->body = body;
	c->diff = diff;
	live_fingerprint(fp, ld);
	c->fingerprint = xstrdup(fp);
	buf_release(&why);
	return REVERT_ADDED;
none:
	rc = json_object_size(body) == 0 && !why.len && ld ? REVERT_ALREADY_BACK : REVERT_NOTED;
	buf_release(&why);
	json_decref(body);
	json_decref(diff);
	return rc;
}

static void init_plan(struct plan *p, const json_t *first, const char *run_id,
		      const struct live *live)
{
	char stamp[32];

	memset(p, 0, sizeof(*p));
	p->format_version = PLAN_FORMAT_VERSION;
	p->kind = PLAN_KIND_REVERT;
	p->revert_of = xstrdup(run_id);
	p->tool_version = xstrdup(MAILWARD_VERSION);
	time_format(stamp, time_now());
	p->created_at = xstrdup(stamp);
	p->account_id = xstrdup(str_of(first, "account_id") ? str_of(first, "account_id") : "");
	p->api_url = xstrdup(str_of(first, "api_url") ? str_of(first, "api_url") : "");
	p->source.repo = dup_or_null(str_of(first, "repo"));
	p->source.commit = dup_or_null(str_of(first, "commit"));
	p->live_count = live->nr;
	p->policy = json_pack("{s:[], s:[]}", "violations", "warnings");
}

int revert_build(struct plan *out, struct revert_notes *notes, const json_t *records,
		 const char *run_id, const struct live *live)
{
	const json_t *first = NULL;
	size_t i;
	json_t *rec;

	memset(out, 0, sizeof(*out));
	notes->conflicts = json_array();
	notes->not_restorable = json_array();
	json_array_foreach(records, i, rec) {
		const char *event = str_of(rec, "event");
		const char *run = str_of(rec, "run_id");

		if (run && !strcmp(run, run_id) && event && !strcmp(event, "result")) {
			first = rec;
			break;
		}
	}
	if (!first)
		return err_set(MW_EPLAN, "run '%s' has no result record in the audit log", run_id);
	init_plan(out, first, run_id, live);
	for (; i < json_array_size(records); i++) {
		const char *event, *run, *outcome, *action;

		rec = json_array_get(records, i);
		event = str_of(rec, "event");
		run = str_of(rec, "run_id");
		outcome = str_of(rec, "outcome");
		action = str_of(rec, "action");
		if (!run || strcmp(run, run_id) || !event || strcmp(event, "result") || !outcome ||
		    !action)
			continue;
		if (!strcmp(action, "delete") &&
		    (!strcmp(outcome, "applied") || !strcmp(outcome, "already_gone")))
			note(notes->not_restorable, str_of(rec, "domain"), str_of(rec, "domain_id"),
			     xstrdup("the run deleted it; this API cannot create a domain: onboard "
				     "it again in the dashboard"));
		else if (!strcmp(action, "update") && !strcmp(outcome, "applied") &&
			 revert_update(out, notes, rec, live) == REVERT_ALREADY_BACK)
			out->summary.noop++;
	}
	if (out->nr > 1)
		qsort(out->changes, out->nr, sizeof(*out->changes), cmp_change);
	out->summary.update = out->nr;
	/* The policies' require rules judge the domains it puts back. */
	for (i = 0; i < out->nr; i++)
		plan_add_subject(out, out->changes[i].domain, out->changes[i].id);
	plan_seal(out);
	return 0;
}

int revert_compare(const struct plan *saved, const struct plan *rebuilt)
{
	struct buf why = BUF_INIT;
	size_t bad = 0;
	int rc = 0;

	if (saved->kind != PLAN_KIND_REVERT || !saved->revert_of ||
	    strcmp(saved->revert_of, rebuilt->revert_of))
		return err_set(MW_ESTALE,
			       "the plan is not a revert of run '%s'; nothing was applied",
			       rebuilt->revert_of);
	if (strcmp(saved->account_id, rebuilt->account_id) ||
	    strcmp(saved->api_url, rebuilt->api_url))
		return err_set(MW_ESTALE,
			       "the revert plan targets another account or API than run '%s' "
			       "did; nothing was applied",
			       rebuilt->revert_of);
	for (size_t i = 0; i < saved->nr; i++) {
		const struct plan_change *c = &saved->changes[i];
		bool found = false;

		for (size_t j = 0; j < rebuilt->nr && !found; j++) {
			const struct plan_change *r = &rebuilt->changes[j];

			found = c->action == r->action && !strcasecmp(c->id, r->id) &&
				json_equal(c->body, r->body);
		}
		if (!found) {
			buf_printf(&why, "\n  %s (%s): not what the audit log implies now",
				   c->domain, c->id);
			bad++;
		}
	}
	if (bad)
		rc = err_set(
			MW_ESTALE,
			"the revert plan does not match run '%s' in the audit log and live "
			"state now (%zu change%s), so nothing was applied; run revert again:%s",
			rebuilt->revert_of, bad, bad == 1 ? "" : "s", why.ptr);
	buf_release(&why);
	return rc;
}
