#include "plan.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "core/diff.h"
#include "core/fields.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/mem.h"
#include "util/timeutil.h"

/* A plan file this large is not one mailward wrote. */
#define MAX_PLAN_BYTES (512u << 20)

const char *plan_kind_name(enum plan_kind k)
{
	switch (k) {
	case PLAN_KIND_DRIFT:
		return "drift";
	case PLAN_KIND_REVERT:
		return "revert";
	case PLAN_KIND_PLAN:
		break;
	}
	return "plan";
}

const char *plan_action_name(enum plan_action a)
{
	switch (a) {
	case PLAN_UPDATE:
		return "update";
	case PLAN_DELETE:
		return "delete";
	case PLAN_MISSING:
		break;
	}
	return "missing";
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/*
 * Paths and refs come from the command line and the repository, which are
 * bytes; a plan is JSON text. Everything downstream reads these copies.
 */
static char *dup_text(const char *s)
{
	struct buf b = BUF_INIT;

	if (!s)
		return NULL;
	buf_put_utf8(&b, s);
	return buf_detach(&b, NULL);
}

static void source_copy(struct plan_source *dst, const struct plan_source *src)
{
	dst->repo = dup_text(src->repo);
	dst->ref = dup_text(src->ref);
	dst->commit = dup_text(src->commit);
	dst->path = dup_text(src->path);
	dst->worktree = src->worktree;
}

static struct plan_change *add_change(struct plan *p, enum plan_action action, const char *domain,
				      const char *id)
{
	struct plan_change *c;

	ARRAY_GROW(p->changes, p->nr + 1, p->alloc);
	c = &p->changes[p->nr++];
	memset(c, 0, sizeof(*c));
	c->action = action;
	c->domain = xstrdup(domain);
	c->id = dup_or_null(id);
	return c;
}

static void set_live(struct plan_change *c, const struct live_domain *ld)
{
	char fp[HASH_HEX_SIZE];

	live_fingerprint(fp, ld);
	c->fingerprint = xstrdup(fp);
}

static char *where(const struct desired_domain *dd)
{
	struct buf b = BUF_INIT;

	buf_put_utf8(&b, dd->file);
	buf_printf(&b, ":%d:%d", dd->line, dd->col);
	return buf_detach(&b, NULL);
}

/*
 * The live domain a desired one refers to: by pinned id, else by name.
 * Returns 0 with `*out` NULL when there is none; MW_EAMBIGUOUS (the
 * reason appended to `problems`, which the caller reports once for all
 * domains) when the match is not safe.
 */
static int match(const struct live_domain **out, const struct desired_domain *dd,
		 const struct live *live, struct buf *problems, size_t *n_problems)
{
	size_t first, n;

	*out = NULL;
	if (dd->id) {
		const struct live_domain *ld = live_find_id(live, dd->id);

		if (ld && strcmp(ld->name, dd->name)) {
			buf_printf(problems,
				   "\n  %s:%d:%d: domain '%s' pins id '%s', but that id is "
				   "live domain '%s'",
				   dd->file, dd->line, dd->col, dd->name, dd->id, ld->name);
			(*n_problems)++;
			return MW_EAMBIGUOUS;
		}
		*out = ld;
		return 0;
	}
	n = live_find_name(live, dd->name, &first);
	if (n > 1) {
		buf_printf(problems, "\n  %s:%d:%d: %zu live domains are named '%s' (ids", dd->file,
			   dd->line, dd->col, n, dd->name);
		for (size_t i = 0; i < n; i++)
			buf_printf(problems, "%s %s", i ? "," : "", live->v[first + i].id);
		buf_puts(problems, "); pin the one to manage with 'id:'");
		(*n_problems)++;
		return MW_EAMBIGUOUS;
	}
	if (n == 1)
		*out = &live->v[first];
	return 0;
}

size_t plan_first_change(const struct plan *p, const char *domain)
{
	size_t lo = 0, hi = p->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(p->changes[mid].domain, domain) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->nr && !strcmp(p->changes[lo].domain, domain) ? lo : p->nr;
}

void plan_add_subject(struct plan *p, const char *domain, const char *id)
{
	ARRAY_GROW(p->subjects, p->n_subjects + 1, p->subjects_alloc);
	p->subjects[p->n_subjects].domain = xstrdup(domain);
	p->subjects[p->n_subjects].id = xstrdup(id);
	p->n_subjects++;
}

static int cmp_change(const void *pa, const void *pb)
{
	const struct plan_change *a = pa, *b = pb;
	int c = strcmp(a->domain, b->domain);

	if (c)
		return c;
	return strcmp(a->id ? a->id : "", b->id ? b->id : "");
}

static int cmp_unmanaged(const void *pa, const void *pb)
{
	const struct plan_unmanaged *a = pa, *b = pb;
	int c = strcmp(a->domain, b->domain);

	return c ? c : strcmp(a->id, b->id);
}

static void plan_domain(struct plan *p, const struct desired_domain *dd,
			const struct live_domain *ld)
{
	struct plan_change *c;
	json_t *diff = NULL, *body = NULL;

	if (dd->absent) {
		if (!ld) {
			p->summary.noop++;
			return;
		}
		c = add_change(p, PLAN_DELETE, dd->name, ld->id);
		c->reason = xstrdup("absent");
		c->declared_at = where(dd);
		set_live(c, ld);
		p->summary.del++;
		return;
	}
	if (!ld) {
		c = add_change(p, PLAN_MISSING, dd->name, dd->id);
		c->declared_at = where(dd);
		p->summary.missing++;
		return;
	}
	diff_domain(&diff, &body, dd->settings, ld);
	if (json_array_size(diff) == 0) {
		json_decref(diff);
		json_decref(body);
		p->summary.noop++;
		return;
	}
	c = add_change(p, PLAN_UPDATE, dd->name, ld->id);
	c->diff = diff;
	c->body = body;
	c->declared_at = where(dd);
	set_live(c, ld);
	p->summary.update++;
}

bool plan_targets(const struct plan *p, const char *domain)
{
	if (!p->n_targets)
		return true;
	for (size_t i = 0; i < p->n_targets; i++)
		if (fnmatch(p->targets[i], domain, FNM_CASEFOLD) == 0)
			return true;
	return false;
}

static void set_targets(struct plan *p, const char *const *targets, size_t n)
{
	p->targets = xcalloc(n + 1, sizeof(*p->targets));
	for (size_t i = 0; i < n; i++) {
		char *t = NULL;

		/* Patterns compare like names: lower case, without the trailing dot. */
		fields_normalize_domain(&t, targets[i], false);
		p->targets[p->n_targets++] = dup_text(t);
		free(t);
	}
}

int plan_build(struct plan *out, const struct desired *desired, const struct live *live,
	       const struct plan_meta *meta)
{
	struct plan *p = out;
	bool *claimed = xcalloc(live->nr + 1, sizeof(*claimed));
	struct buf problems = BUF_INIT;
	size_t n_problems = 0;
	char stamp[32];
	int rc = 0;

	memset(p, 0, sizeof(*p));
	p->format_version = PLAN_FORMAT_VERSION;
	p->tool_version = xstrdup(MAILWARD_VERSION);
	time_format(stamp, meta->now ? meta->now : time_now());
	p->created_at = xstrdup(stamp);
	p->account_id = xstrdup(meta->account_id);
	p->api_url = dup_text(meta->api_url);
	source_copy(&p->source, meta->source);
	p->prune = meta->prune;
	set_targets(p, meta->targets, meta->n_targets);
	p->live_count = live->nr;
	p->declared = desired->nr;
	p->policy = json_pack("{s:[], s:[]}", "violations", "warnings");

	for (size_t i = 0; i < desired->nr; i++) {
		const struct desired_domain *dd = &desired->domains[i];
		const struct live_domain *ld = NULL;

		if (!plan_targets(p, dd->name))
			continue;
		if (match(&ld, dd, live, &problems, &n_problems) < 0)
			continue;
		if (ld)
			claimed[ld - live->v] = true;
		if (ld && !dd->absent)
			plan_add_subject(p, ld->name, ld->id);
		plan_domain(p, dd, ld);
	}
	if (n_problems) {
		rc = err_set(MW_EAMBIGUOUS, "cannot match %zu declared domain%s with live state:%s",
			     n_problems, n_problems == 1 ? "" : "s", problems.ptr);
		goto done;
	}
	for (size_t i = 0; i < live->nr; i++) {
		const struct live_domain *ld = &live->v[i];

		if (claimed[i] || !plan_targets(p, ld->name))
			continue;
		/*
		 * A name that git declares is never pruned, even when the
		 * declaration pins another id: deleting it would unprotect a
		 * domain the documents name.
		 */
		if (p->prune && !desired_find(desired, ld->name)) {
			struct plan_change *c = add_change(p, PLAN_DELETE, ld->name, ld->id);

			c->reason = xstrdup("prune");
			set_live(c, ld);
			p->summary.del++;
			continue;
		}
		ARRAY_GROW(p->unmanaged, p->n_unmanaged + 1, p->unmanaged_alloc);
		p->unmanaged[p->n_unmanaged].domain = xstrdup(ld->name);
		p->unmanaged[p->n_unmanaged].id = xstrdup(ld->id);
		p->n_unmanaged++;
		p->summary.unmanaged++;
	}
	if (p->nr > 1)
		qsort(p->changes, p->nr, sizeof(*p->changes), cmp_change);
	if (p->n_unmanaged > 1)
		qsort(p->unmanaged, p->n_unmanaged, sizeof(*p->unmanaged), cmp_unmanaged);
	plan_seal(p);
done:
	free(claimed);
	buf_release(&problems);
	if (rc < 0)
		plan_release(p);
	return rc;
}

static void change_release(struct plan_change *c)
{
	free(c->domain);
	free(c->id);
	json_decref(c->diff);
	json_decref(c->body);
	free(c->reason);
	free(c->fingerprint);
	free(c->declared_at);
}

void plan_release(struct plan *p)
{
	for (size_t i = 0; i < p->nr; i++)
		change_release(&p->changes[i]);
	free(p->changes);
	for (size_t i = 0; i < p->n_unmanaged; i++) {
		free(p->unmanaged[i].domain);
		free(p->unmanaged[i].id);
	}
	free(p->unmanaged);
	for (size_t i = 0; i < p->n_subjects; i++) {
		free(p->subjects[i].domain);
		free(p->subjects[i].id);
	}
	free(p->subjects);
	for (size_t i = 0; i < p->n_targets; i++)
		free(p->targets[i]);
	free(p->targets);
	free(p->revert_of);
	free(p->tool_version);
	free(p->created_at);
	free(p->account_id);
	free(p->api_url);
	free(p->source.repo);
	free(p->source.ref);
	free(p->source.commit);
	free(p->source.path);
	json_decref(p->policy);
	json_decref(p->loaded);
	memset(p, 0, sizeof(*p));
}

void plan_retain(struct plan *p, bool (*keep)(const struct plan_change *c, void *ctx), void *ctx)
{
	size_t kept = 0;

	p->summary.update = p->summary.del = p->summary.missing = 0;
	for (size_t i = 0; i < p->nr; i++) {
		struct plan_change *c = &p->changes[i];

		if (!keep(c, ctx)) {
			change_release(c);
			continue;
		}
		if (c->action == PLAN_UPDATE)
			p->summary.update++;
		else if (c->action == PLAN_DELETE)
			p->summary.del++;
		else
			p->summary.missing++;
		p->changes[kept++] = *c;
	}
	p->nr = kept;
	json_decref(p->loaded);
	p->loaded = NULL;
	plan_seal(p);
}

bool plan_has_changes(const struct plan *p)
{
	return p->summary.update + p->summary.del + p->summary.missing > 0;
}

/* --- the plan file ----------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *change_to_json(const struct plan_change *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "action", json_string(plan_action_name(c->action)));
	json_object_set_new(o, "domain", json_string(c->domain));
	json_object_set_new(o, "id", str_or_null(c->id));
	if (c->action == PLAN_UPDATE) {
		json_object_set(o, "diff", c->diff);
		json_object_set(o, "body", c->body);
	}
	if (c->action == PLAN_DELETE)
		json_object_set_new(o, "reason", json_string(c->reason));
	if (c->action != PLAN_MISSING)
		json_object_set_new(o, "live_fingerprint", json_string(c->fingerprint));
	json_object_set_new(o, "declared_at", str_or_null(c->declared_at));
	return o;
}

/* Everything but the digest: what the digest covers. */
static json_t *plan_body_json(const struct plan *p)
{
	json_t *o = json_object();
	json_t *changes = json_array();

	json_object_set_new(o, "format_version", json_integer(p->format_version));
	json_object_set_new(o, "kind", json_string(plan_kind_name(p->kind)));
	if (p->kind == PLAN_KIND_REVERT)
		json_object_set_new(o, "revert_of", str_or_null(p->revert_of));
	json_object_set_new(
		o, "tool", json_pack("{s:s, s:s}", "name", "mailward", "version", p->tool_version));
	json_object_set_new(o, "created_at", json_string(p->created_at));
	json_object_set_new(o, "account_id", json_string(p->account_id));
	json_object_set_new(o, "api_url", str_or_null(p->api_url));
	json_object_set_new(
		o, "source",
		json_pack("{s:o, s:o, s:o, s:o, s:b}", "repo", str_or_null(p->source.repo), "ref",
			  str_or_null(p->source.ref), "commit", str_or_null(p->source.commit),
			  "path", str_or_null(p->source.path), "worktree", p->source.worktree));
	json_object_set_new(o, "prune", json_boolean(p->prune));
	if (p->n_targets) {
		json_t *t = json_array();

		for (size_t i = 0; i < p->n_targets; i++)
			json_array_append_new(t, json_string(p->targets[i]));
		json_object_set_new(o, "targets", t);
	}
	json_object_set_new(o, "live_count", json_integer((json_int_t)p->live_count));
	json_object_set_new(
		o, "summary",
		json_pack("{s:I, s:I, s:I, s:I, s:I}", "update", (json_int_t)p->summary.update,
			  "delete", (json_int_t)p->summary.del, "missing",
			  (json_int_t)p->summary.missing, "noop", (json_int_t)p->summary.noop,
			  "unmanaged", (json_int_t)p->summary.unmanaged));
	for (size_t i = 0; i < p->nr; i++)
		json_array_append_new(changes, change_to_json(&p->changes[i]));
	json_object_set_new(o, "changes", changes);
	json_object_set_new(o, "unmanaged", plan_unmanaged_json(p));
	json_object_set(o, "policy", p->policy);
	return o;
}

json_t *plan_unmanaged_json(const struct plan *p)
{
	json_t *unmanaged = json_array();

	for (size_t i = 0; i < p->n_unmanaged; i++)
		json_array_append_new(unmanaged,
				      json_pack("{s:s, s:s}", "domain", p->unmanaged[i].domain,
						"id", p->unmanaged[i].id));
	return unmanaged;
}

static void digest_of(char out[HASH_HEX_SIZE], const json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);

	hash_sha256_hex(out, text, strlen(text));
	free(text);
}

void plan_seal(struct plan *p)
{
	json_t *body = plan_body_json(p);

	digest_of(p->digest, body);
	json_decref(body);
}

void plan_set_policy(struct plan *p, json_t *findings)
{
	json_decref(p->policy);
	p->policy = findings;
	json_decref(p->loaded);
	p->loaded = NULL;
	plan_seal(p);
}

size_t plan_violations(const struct plan *p)
{
	return json_array_size(json_object_get(p->policy, "violations"));
}

json_t *plan_to_json(const struct plan *p)
{
	json_t *o;

	if (p->loaded)
		return json_deep_copy(p->loaded);
	o = plan_body_json(p);

	json_object_set_new(o, "digest", json_string(p->digest));
	return o;
}

json_t *plan_to_json_kind(const struct plan *p, enum plan_kind kind)
{
	struct plan as = *p;
	char digest[HASH_HEX_SIZE];
	json_t *o;

	as.kind = kind;
	as.loaded = NULL;
	if (kind != PLAN_KIND_REVERT)
		as.revert_of = NULL;
	o = plan_body_json(&as);
	digest_of(digest, o);
	json_object_set_new(o, "digest", json_string(digest));
	return o;
}

char *plan_to_text(const struct plan *p)
{
	json_t *o = plan_to_json(p);
	char *text = json_dumps(o, JSON_INDENT(2));
	char *out = xasprintf("%s\n", text);

	free(text);
	json_decref(o);
	return out;
}

/* --- reading a plan file ------------------------------------------------ */

struct reader {
	struct buf why;
};

static const char *get_str(struct reader *r, const json_t *o, const char *key, bool nullable,
			   const char *ctx)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (nullable && json_is_null(v))
		return NULL;
	if (!r->why.len)
		buf_printf(&r->why, "%s'%s' must be a string%s", ctx, key,
			   nullable ? " or null" : "");
	return NULL;
}

static long long get_count(struct reader *r, const json_t *o, const char *key, const char *ctx)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return json_integer_value(v);
	if (!r->why.len)
		buf_printf(&r->why, "%s'%s' must be a count", ctx, key);
	return -1;
}

static bool valid_fingerprint(const char *s)
{
	if (!s || strncmp(s, "sha256:", 7) || strlen(s) != 71)
		return false;
	for (s += 7; *s; s++)
		if (!strchr("0123456789abcdef", *s))
			return false;
	return true;
}

static bool valid_commit(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!strchr("0123456789abcdef", s[n]))
			return false;
	return n == 40;
}

/* A body holds only writable fields, each valid; a diff agrees with it. */
static void check_update(struct reader *r, const json_t *jc, const char *ctx)
{
	json_t *body = json_object_get(jc, "body");
	json_t *diff = json_object_get(jc, "diff");
	const char *name;
	json_t *v;
	size_t i;

	if (!json_is_object(body) || json_object_size(body) == 0) {
		buf_printf(&r->why, "%s'body' must be a non-empty object", ctx);
		return;
	}
	json_object_foreach(body, name, v) {
		const struct field *f = fields_find(name);
		long bad;

		if (!f || !(f->flags & FIELD_WRITABLE)) {
			buf_printf(&r->why, "%s'body' holds '%s', which is not a writable setting",
				   ctx, name);
			return;
		}
		if (fields_check(f, v, &bad) < 0) {
			buf_printf(&r->why, "%s'body': %s", ctx, err_msg());
			return;
		}
	}
	if (!json_is_array(diff) || json_array_size(diff) != json_object_size(body)) {
		buf_printf(&r->why, "%s'diff' must list each field of 'body' once", ctx);
		return;
	}
	{
		json_t *seen = json_object();

		json_array_foreach(diff, i, v) {
			const char *field = json_string_value(json_object_get(v, "field"));
			json_t *after = json_object_get(v, "after");

			if (!field || !json_object_get(v, "before") || !after ||
			    json_object_get(seen, field) ||
			    !json_equal(after, json_object_get(body, field))) {
				buf_printf(&r->why, "%s'diff' item %zu does not match 'body'", ctx,
					   i + 1);
				break;
			}
			json_object_set_new(seen, field, json_true());
		}
		json_decref(seen);
	}
}

static void read_change(struct reader *r, struct plan *p, const json_t *jc, size_t index)
{
	char ctx[64];
	const char *action, *domain, *id, *fp = NULL, *reason = NULL, *declared;
	struct plan_change *c;
	enum plan_action a;

	snprintf(ctx, sizeof(ctx), "changes[%zu]: ", index);
	if (!json_is_object(jc)) {
		buf_printf(&r->why, "%smust be an object", ctx);
		return;
	}
	action = get_str(r, jc, "action", false, ctx);
	domain = get_str(r, jc, "domain", false, ctx);
	if (r->why.len)
		return;
	if (!strcmp(action, "update"))
		a = PLAN_UPDATE;
	else if (!strcmp(action, "delete"))
		a = PLAN_DELETE;
	else if (!strcmp(action, "missing"))
		a = PLAN_MISSING;
	else {
		buf_printf(&r->why, "%sunknown action '%s'", ctx, action);
		return;
	}
	id = get_str(r, jc, "id", a == PLAN_MISSING, ctx);
	declared = get_str(r, jc, "declared_at", true, ctx);
	if (a != PLAN_MISSING) {
		fp = get_str(r, jc, "live_fingerprint", false, ctx);
		if (!r->why.len && !valid_fingerprint(fp))
			buf_printf(&r->why, "%s'live_fingerprint' must be sha256:<64 hex digits>",
				   ctx);
	}
	if (a == PLAN_DELETE) {
		reason = get_str(r, jc, "reason", false, ctx);
		if (!r->why.len && strcmp(reason, "absent") && strcmp(reason, "prune"))
			buf_printf(&r->why, "%sunknown delete reason '%s'", ctx, reason);
	}
	if (a == PLAN_UPDATE && !r->why.len)
		check_update(r, jc, ctx);
	if (r->why.len)
		return;
	c = add_change(p, a, domain, id);
	c->fingerprint = dup_or_null(fp);
	c->reason = dup_or_null(reason);
	c->declared_at = dup_or_null(declared);
	if (a == PLAN_UPDATE) {
		c->diff = json_deep_copy(json_object_get(jc, "diff"));
		c->body = json_deep_copy(json_object_get(jc, "body"));
	}
}

static void read_summary(struct reader *r, struct plan *p, const json_t *s)
{
	struct plan_summary want = { 0 };

	if (!json_is_object(s)) {
		buf_puts(&r->why, "'summary' must be an object");
		return;
	}
	p->summary.update = (size_t)get_count(r, s, "update", "summary: ");
	p->summary.del = (size_t)get_count(r, s, "delete", "summary: ");
	p->summary.missing = (size_t)get_count(r, s, "missing", "summary: ");
	p->summary.noop = (size_t)get_count(r, s, "noop", "summary: ");
	p->summary.unmanaged = (size_t)get_count(r, s, "unmanaged", "summary: ");
	if (r->why.len)
		return;
	for (size_t i = 0; i < p->nr; i++) {
		if (p->changes[i].action == PLAN_UPDATE)
			want.update++;
		else if (p->changes[i].action == PLAN_DELETE)
			want.del++;
		else
			want.missing++;
	}
	if (want.update != p->summary.update || want.del != p->summary.del ||
	    want.missing != p->summary.missing || p->n_unmanaged != p->summary.unmanaged)
		buf_puts(&r->why, "'summary' does not agree with 'changes' and 'unmanaged'");
}

/* Optional: a plan without `targets` reaches every domain. */
static void read_targets(struct reader *r, struct plan *p, const json_t *targets)
{
	size_t i;
	json_t *v;

	if (!targets)
		return;
	if (!json_is_array(targets) || json_array_size(targets) == 0 ||
	    json_array_size(targets) > PLAN_MAX_TARGETS) {
		buf_printf(&r->why, "'targets' must be a list of 1 to %d patterns",
			   PLAN_MAX_TARGETS);
		return;
	}
	p->targets = xcalloc(json_array_size(targets) + 1, sizeof(*p->targets));
	json_array_foreach(targets, i, v) {
		if (!json_is_string(v) || !*json_string_value(v) ||
		    json_string_length(v) > PLAN_MAX_TARGET_LEN) {
			buf_printf(&r->why, "targets[%zu] must be a pattern of at most %d bytes", i,
				   PLAN_MAX_TARGET_LEN);
			return;
		}
		p->targets[p->n_targets++] = xstrdup(json_string_value(v));
	}
}

/* No "kind" is a plan made before kinds existed: a plan. */
static void read_kind(struct reader *r, struct plan *p, const json_t *obj)
{
	const json_t *kind = json_object_get(obj, "kind");
	const json_t *of = json_object_get(obj, "revert_of");
	const char *k = json_string_value(kind);

	if (!kind || (k && !strcmp(k, "plan"))) {
		p->kind = PLAN_KIND_PLAN;
	} else if (k && !strcmp(k, "drift")) {
		p->kind = PLAN_KIND_DRIFT;
	} else if (k && !strcmp(k, "revert")) {
		p->kind = PLAN_KIND_REVERT;
	} else {
		buf_puts(&r->why, "'kind' must be \"plan\", \"drift\" or \"revert\"");
		return;
	}
	if (p->kind != PLAN_KIND_REVERT) {
		if (of)
			buf_puts(&r->why, "'revert_of' belongs only to a plan of kind \"revert\"");
		return;
	}
	if (!json_is_string(of) || !json_string_length(of) || json_string_length(of) > 64) {
		buf_puts(&r->why, "a revert plan needs 'revert_of': the id of the run it reverts");
		return;
	}
	for (const char *c = json_string_value(of); *c; c++) {
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'))) {
			buf_puts(&r->why, "'revert_of' must be a run id (hexadecimal digits)");
			return;
		}
	}
	p->revert_of = xstrdup(json_string_value(of));
}

static void read_body(struct reader *r, struct plan *p, const json_t *obj)
{
	const json_t *src = json_object_get(obj, "source");
	const json_t *tool = json_object_get(obj, "tool");
	const json_t *changes = json_object_get(obj, "changes");
	const json_t *unmanaged = json_object_get(obj, "unmanaged");
	const json_t *policy = json_object_get(obj, "policy");
	json_t *prune = json_object_get(obj, "prune");
	json_t *wt;
	const char *s;
	size_t i;
	json_t *v;

	if (!json_is_object(tool) || !get_str(r, tool, "version", false, "tool: ")) {
		if (!r->why.len)
			buf_puts(&r->why, "'tool' must be an object with a 'version'");
		return;
	}
	p->tool_version = xstrdup(json_string_value(json_object_get(tool, "version")));
	read_kind(r, p, obj);
	if (r->why.len)
		return;
	if ((s = get_str(r, obj, "created_at", false, "")))
		p->created_at = xstrdup(s);
	if ((s = get_str(r, obj, "account_id", false, "")))
		p->account_id = xstrdup(s);
	if ((s = get_str(r, obj, "api_url", false, "")))
		p->api_url = xstrdup(s);
	if (r->why.len)
		return;
	if (!desired_is_account_id(p->account_id)) {
		buf_puts(&r->why, "'account_id' must be 32 hexadecimal digits");
		return;
	}
	if (!json_is_object(src)) {
		buf_puts(&r->why, "'source' must be an object");
		return;
	}
	p->source.repo = dup_or_null(get_str(r, src, "repo", true, "source: "));
	p->source.ref = dup_or_null(get_str(r, src, "ref", true, "source: "));
	p->source.commit = dup_or_null(get_str(r, src, "commit", true, "source: "));
	if (p->source.commit && !valid_commit(p->source.commit) && !r->why.len)
		buf_puts(&r->why, "source: 'commit' must be 40 hexadecimal digits or null");
	p->source.path = dup_or_null(get_str(r, src, "path", true, "source: "));
	wt = json_object_get(src, "worktree");
	p->source.worktree = json_is_true(wt);
	if (wt && !json_is_boolean(wt) && !r->why.len)
		buf_puts(&r->why, "source: 'worktree' must be true or false");
	if (!json_is_boolean(prune) && !r->why.len)
		buf_puts(&r->why, "'prune' must be true or false");
	if (r->why.len)
		return;
	p->prune = json_is_true(prune);
	read_targets(r, p, json_object_get(obj, "targets"));
	if (r->why.len)
		return;
	if (get_count(r, obj, "live_count", "") < 0)
		return;
	p->live_count = (size_t)json_integer_value(json_object_get(obj, "live_count"));
	if (!json_is_array(changes)) {
		buf_puts(&r->why, "'changes' must be a list");
		return;
	}
	json_array_foreach(changes, i, v) {
		read_change(r, p, v, i);
		if (r->why.len)
			return;
	}
	if (!json_is_array(unmanaged)) {
		buf_puts(&r->why, "'unmanaged' must be a list");
		return;
	}
	json_array_foreach(unmanaged, i, v) {
		const char *d = json_string_value(json_object_get(v, "domain"));
		const char *id = json_string_value(json_object_get(v, "id"));

		if (!d || !id) {
			buf_printf(&r->why, "unmanaged[%zu] must have a 'domain' and an 'id'", i);
			return;
		}
		ARRAY_GROW(p->unmanaged, p->n_unmanaged + 1, p->unmanaged_alloc);
		p->unmanaged[p->n_unmanaged].domain = xstrdup(d);
		p->unmanaged[p->n_unmanaged].id = xstrdup(id);
		p->n_unmanaged++;
	}
	read_summary(r, p, json_object_get(obj, "summary"));
	if (r->why.len)
		return;
	if (!json_is_object(policy) || !json_is_array(json_object_get(policy, "violations")) ||
	    !json_is_array(json_object_get(policy, "warnings"))) {
		buf_puts(&r->why,
			 "'policy' must be an object with 'violations' and 'warnings' lists");
		return;
	}
	for (int l = 0; l < 2; l++) {
		const char *list = l ? "warnings" : "violations";

		json_array_foreach(json_object_get(policy, list), i, v) {
			if (!json_is_string(json_object_get(v, "message"))) {
				buf_printf(&r->why, "policy %s[%zu] must have a 'message'", list,
					   i);
				return;
			}
		}
	}
	p->policy = json_deep_copy(policy);
}

int plan_from_json(struct plan *out, const json_t *obj)
{
	struct reader r = { BUF_INIT };
	json_t *body = NULL, *version;
	const char *digest;
	char want[HASH_HEX_SIZE];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return err_set(MW_EPLAN, "a plan file is a JSON object");
	version = json_object_get(obj, "format_version");
	if (!json_is_integer(version))
		return err_set(MW_EPLAN, "not a mailward plan: no 'format_version'");
	if (json_integer_value(version) != PLAN_FORMAT_VERSION)
		return err_set(MW_EPLAN,
			       "the plan has format_version %lld; this mailward reads "
			       "format %d",
			       (long long)json_integer_value(version), PLAN_FORMAT_VERSION);
	digest = json_string_value(json_object_get(obj, "digest"));
	if (!digest)
		return err_set(MW_EPLAN, "the plan has no 'digest'");
	body = json_copy((json_t *)obj);
	json_object_del(body, "digest");
	digest_of(want, body);
	if (strcmp(want, digest)) {
		/* Never the digest that would match: that would help a forger. */
		rc = err_set(MW_EPLAN, "the plan does not match its digest: it was changed after "
				       "it was made; nothing was applied");
		goto done;
	}
	out->format_version = PLAN_FORMAT_VERSION;
	read_body(&r, out, obj);
	if (r.why.len) {
		rc = err_set(MW_EPLAN, "invalid plan: %s", r.why.ptr);
		goto done;
	}
	snprintf(out->digest, sizeof(out->digest), "%s", digest);
	out->loaded = json_deep_copy(obj);
done:
	json_decref(body);
	buf_release(&r.why);
	if (rc < 0)
		plan_release(out);
	return rc;
}

int plan_load_file(struct plan *out, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	json_error_t jerr;
	json_t *obj = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = fs_read_file(&text, &len, path, MAX_PLAN_BYTES);
	if (rc < 0)
		return err_wrap(MW_EPLAN, "reading plan: ");
	obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj) {
		rc = err_set(MW_EPLAN, "%s:%d:%d: not a plan file: %s", path, jerr.line,
			     jerr.column, jerr.text);
		goto done;
	}
	rc = plan_from_json(out, obj);
	if (rc < 0)
		err_wrap(rc, "%s: ", path);
done:
	json_decref(obj);
	free(text);
	return rc;
}
