#include "planner.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/fields.h"
#include "util/err.h"
#include "util/esc.h"
#include "util/mem.h"
#include "util/url.h"

static void meta_of(struct plan_meta *out, const struct planner_input *in)
{
	out->account_id = in->account_id;
	out->api_url = in->api_url;
	out->source = in->source;
	out->prune = in->prune;
	out->targets = in->targets;
	out->n_targets = in->n_targets;
	out->now = in->now;
}

int planner_run(struct plan *out, const struct planner_input *in)
{
	struct plan_meta meta;
	int rc;

	meta_of(&meta, in);
	rc = plan_build(out, in->desired, in->live, &meta);
	if (rc < 0)
		return rc;
	plan_set_policy(out, policy_findings(in->policies, out, in->live, in->force));
	return 0;
}

/* --- verifying a saved plan ---------------------------------------------- */

static bool same_text(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

int planner_check_target(const struct plan *saved, const struct planner_input *in)
{
	const struct plan_source *src = in->source;

	if (strcmp(saved->account_id, in->account_id))
		return err_set(MW_ESTALE,
			       "the plan is for account %s, but this run is configured for "
			       "account %s; nothing was applied",
			       saved->account_id, in->account_id);
	if (!same_text(saved->api_url, in->api_url)) {
		struct buf shown = BUF_INIT;
		int rc;

		/* A plan file's URL may carry a secret, or be a forger's text. */
		url_redact(&shown, saved->api_url ? saved->api_url : "", 0);
		rc = err_set(MW_ESTALE,
			     "the plan is for API %s, but this run uses %s; nothing was applied",
			     shown.ptr, in->api_url);
		buf_release(&shown);
		return rc;
	}
	if (!same_text(saved->source.path, src->path))
		return err_set(MW_ESTALE,
			       "the plan was made from folder '%s', but this run reads '%s'; "
			       "the desired state and the policies are read where this run "
			       "says, never where a plan says; nothing was applied",
			       saved->source.path ? saved->source.path : "", src->path);
	if (saved->source.worktree != src->worktree ||
	    !same_text(saved->source.commit, src->commit))
		return err_set(MW_ESTALE,
			       "the plan was made from %s%s, but this run read %s%s; nothing "
			       "was applied",
			       saved->source.commit ? "commit " : "the working tree",
			       saved->source.commit ? saved->source.commit : "",
			       src->commit ? "commit " : "the working tree",
			       src->commit ? src->commit : "");
	if (saved->prune && !in->prune)
		return err_set(MW_ESTALE, "the plan was made with prune, which this run does not "
					  "allow; nothing was applied");
	return 0;
}

/*
 * "DOMAIN (ID)" of a change, escaped: a plan file's strings are an
 * attacker's, and a line break in them would forge a line of the message.
 */
static void put_change(struct buf *b, const struct plan_change *c)
{
	esc_append(b, c->domain, 0);
	buf_puts(b, " (");
	esc_append(b, c->id ? c->id : "no id", 0);
	buf_putc(b, ')');
}

/* Each saved change's domain as it is live now: gone, renamed or changed is stale. */
static int check_fresh(const struct plan *saved, const struct live *live)
{
	struct buf stale = BUF_INIT;
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; i < saved->nr; i++) {
		const struct plan_change *c = &saved->changes[i];
		const struct live_domain *ld;
		char fp[HASH_HEX_SIZE];

		if (c->action == PLAN_MISSING)
			continue;
		ld = live_find_id(live, c->id);
		if (ld)
			live_fingerprint(fp, ld);
		if (ld && !strcmp(ld->name, c->domain) && !strcmp(fp, c->fingerprint))
			continue;
		buf_puts(&stale, "\n  ");
		put_change(&stale, c);
		if (!ld) {
			buf_puts(&stale, ": no longer exists");
		} else if (strcmp(ld->name, c->domain)) {
			buf_puts(&stale, ": the id is now domain '");
			esc_append(&stale, ld->name, 0);
			buf_putc(&stale, '\'');
		} else {
			buf_puts(&stale, ": its settings changed since the plan");
		}
		n++;
	}
	if (n)
		rc = err_set(MW_ESTALE,
			     "the plan is stale: live state changed since it was made, so "
			     "nothing was applied; run plan again and review the new plan (%zu "
			     "domain%s):%s",
			     n, n == 1 ? "" : "s", stale.ptr);
	buf_release(&stale);
	return rc;
}

static bool same_change(const struct plan_change *a, const struct plan_change *b)
{
	if (a->action != b->action || strcmp(a->domain, b->domain) || !a->id || !b->id ||
	    strcasecmp(a->id, b->id))
		return false;
	if (a->action == PLAN_UPDATE)
		return json_equal(a->body, b->body);
	return true;
}

struct matching {
	const struct plan *rebuilt;
	bool *chosen; /* per rebuilt change: a saved change names it */
};

/*
 * Mark the rebuilt change that each saved change names; describe each saved
 * change that the rebuilt plan does not hold into `why`.
 */
static size_t match_saved(struct matching *m, const struct plan *saved, struct buf *why)
{
	const struct plan *rebuilt = m->rebuilt;
	size_t bad = 0;

	for (size_t i = 0; i < saved->nr; i++) {
		const struct plan_change *c = &saved->changes[i];
		const char *what = "the commit does not imply it";
		size_t k = plan_first_change(rebuilt, c->domain);
		bool found = false;

		if (c->action == PLAN_MISSING)
			continue;
		for (; k < rebuilt->nr && !strcmp(rebuilt->changes[k].domain, c->domain); k++) {
			const struct plan_change *r = &rebuilt->changes[k];

			if (!same_change(c, r)) {
				if (r->action == c->action)
					what = c->action == PLAN_UPDATE
						       ? "the commit implies another PATCH body"
						       : "the commit implies it for another id";
				continue;
			}
			if (m->chosen[k]) {
				what = "the plan lists it twice";
				continue;
			}
			m->chosen[k] = true;
			found = true;
			break;
		}
		if (!found) {
			buf_printf(why, "\n  %s ", plan_action_name(c->action));
			put_change(why, c);
			buf_printf(why, ": %s", what);
			bad++;
		}
	}
	return bad;
}

static bool keep_chosen(const struct plan_change *c, void *ctx)
{
	struct matching *m = ctx;

	/* Missing domains send nothing: kept, so that the summary can name them. */
	return c->action == PLAN_MISSING || m->chosen[c - m->rebuilt->changes];
}

int planner_verify(struct plan *out, const struct plan *saved, const struct planner_input *in,
		   struct buf *notice)
{
	struct plan_meta meta;
	struct matching m = { out, NULL };
	struct buf why = BUF_INIT;
	size_t bad;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = planner_check_target(saved, in);
	if (rc == 0)
		rc = check_fresh(saved, in->live);
	if (rc < 0)
		return rc;
	meta_of(&meta, in);
	meta.targets = (const char *const *)saved->targets;
	meta.n_targets = saved->n_targets;
	rc = plan_build(out, in->desired, in->live, &meta);
	if (rc < 0)
		return rc;
	m.chosen = xcalloc(out->nr + 1, sizeof(*m.chosen));
	bad = match_saved(&m, saved, &why);
	if (bad) {
		rc = err_set(MW_ESTALE,
			     "the plan holds %zu change%s that %s at commit %.12s does not "
			     "imply against the live state now; it was changed after review, or "
			     "made from other documents; nothing was applied:%s",
			     bad, bad == 1 ? "" : "s",
			     in->source->path && *in->source->path ? in->source->path
								   : "the "
								     "repository",
			     in->source->commit ? in->source->commit : "(working tree)", why.ptr);
		goto done;
	}
	for (size_t k = 0; k < out->nr; k++) {
		const struct plan_change *c = &out->changes[k];

		if (m.chosen[k] || c->action == PLAN_MISSING)
			continue;
		buf_printf(notice, "  %s ", plan_action_name(c->action));
		put_change(notice, c);
		buf_putc(notice, '\n');
	}
	plan_retain(out, keep_chosen, &m);
	plan_set_policy(out, policy_findings(in->policies, out, in->live, in->force));
	/* The records name the reviewed artifact, not this derived copy. */
	memcpy(out->digest, saved->digest, sizeof(out->digest));
done:
	free(m.chosen);
	buf_release(&why);
	if (rc < 0)
		plan_release(out);
	return rc;
}
